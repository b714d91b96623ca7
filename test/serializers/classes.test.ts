import t from 'tap';
import { ConfigError } from '../../src/errors.js';
import {
  registerClass,
  registeredClassNamed,
  registeredClassOf,
  unregisterClass,
} from '../../src/serializers/classes.js';
import { hashstashSerializer } from '../../src/serializers/hashstash.js';

t.test('registers under the class name by default, or the name given', async (t) => {
  class Account {}
  class Ledger {}
  registerClass(Account);
  registerClass(Ledger, { name: 'books.Ledger' });
  t.teardown(() => {
    unregisterClass(Account);
    unregisterClass(Ledger);
  });
  t.equal(registeredClassOf(Account.prototype)?.name, 'Account');
  t.equal(registeredClassNamed('books.Ledger')?.ctor, Ledger);
  t.equal(registeredClassNamed('Ledger'), undefined);
});

t.test('an anonymous class needs a name', async (t) => {
  const Anonymous = (() => class {})();
  t.equal(Anonymous.name, '');
  t.throws(() => registerClass(Anonymous), ConfigError);
  registerClass(Anonymous, { name: 'Named' });
  t.teardown(() => unregisterClass('Named'));
  t.equal(registeredClassNamed('Named')?.ctor, Anonymous);
});

t.test('a name belongs to one class', async (t) => {
  class First {}
  const Second = class First {};
  registerClass(First);
  t.teardown(() => unregisterClass(First));
  t.throws(() => registerClass(Second), { name: 'ConfigError', message: /"First" is already registered/ });
  t.equal(registeredClassNamed('First')?.ctor, First, 'the first registration stands');
});

t.test('registering a class again replaces its name and options', async (t) => {
  class Thing {
    v = 1;
  }
  registerClass(Thing);
  registerClass(Thing, { name: 'Thing2', serialize: () => 'custom', deserialize: () => new Thing() });
  t.teardown(() => unregisterClass(Thing));
  t.equal(registeredClassNamed('Thing'), undefined, 'the old name is released');
  t.equal(registeredClassOf(Thing.prototype)?.name, 'Thing2');
  t.match(Buffer.from(hashstashSerializer.serialize(new Thing())).toString(), /"c":"Thing2","v":"custom"/);
});

t.test('bad arguments are ConfigErrors naming what was wrong', async (t) => {
  class Fine {}
  t.throws(() => registerClass(42 as never), { name: 'ConfigError', message: /expected a class/ });
  t.throws(() => registerClass(Map), { name: 'ConfigError', message: /Map is carried by the serializer already/ });
  t.throws(() => registerClass(Fine, { nmae: 'typo' } as never), {
    name: 'ConfigError',
    message: /unknown option "nmae"/,
  });
  t.throws(() => registerClass(Fine, { serialize: 'no' } as never), {
    name: 'ConfigError',
    message: /"serialize" must be a function/,
  });
  t.throws(() => registerClass(Fine, { deserialize: 1 } as never), {
    name: 'ConfigError',
    message: /"deserialize" must be a function/,
  });
  t.throws(() => registerClass(Fine, { name: '' }), {
    name: 'ConfigError',
    message: /"name" must be a non-empty string/,
  });
  t.equal(registeredClassOf(Fine.prototype), undefined, 'nothing was registered');
});

t.test('a subclass of a built-in with hidden contents must bring serialize and deserialize', async (t) => {
  class Registry extends Map<string, number> {}
  class Bytes extends Uint8Array {}
  t.throws(() => registerClass(Registry), {
    name: 'ConfigError',
    message: /Registry extends Map.*serialize and deserialize/,
  });
  t.throws(() => registerClass(Bytes), { name: 'ConfigError', message: /Bytes extends TypedArray/ });
  registerClass(Registry, {
    serialize: (registry) => [...registry],
    deserialize: (entries: [string, number][]) => new Registry(entries),
  });
  t.teardown(() => unregisterClass(Registry));
  const back = hashstashSerializer.deserialize(hashstashSerializer.serialize(new Registry([['a', 1]])));
  t.ok(back instanceof Registry);
  t.equal((back as Registry).get('a'), 1);
});

t.test('unregisterClass by class or by name', async (t) => {
  class Gone {}
  registerClass(Gone);
  t.equal(unregisterClass('Gone'), true);
  t.equal(unregisterClass(Gone), false);
  registerClass(Gone);
  t.equal(unregisterClass(Gone), true);
  t.equal(registeredClassNamed('Gone'), undefined);
  t.equal(registeredClassOf(Gone.prototype), undefined);
});

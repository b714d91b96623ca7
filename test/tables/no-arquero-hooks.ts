/** Module resolution hooks for without-arquero-child.ts: the `arquero` package resolves as if it were not installed. */
interface ResolveContext { readonly parentURL?: string }
type NextResolve = (specifier: string, context: ResolveContext) => Promise<unknown>;

export async function resolve(specifier: string, context: ResolveContext, next: NextResolve): Promise<unknown> {
  if (specifier === 'arquero' || specifier.startsWith('arquero/')) {
    throw Object.assign(new Error(`Cannot find package 'arquero' imported from ${context.parentURL}`), { code: 'ERR_MODULE_NOT_FOUND' });
  }
  return next(specifier, context);
}

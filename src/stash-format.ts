import { base64Codec } from './codecs/base64.js';
import { getCodec } from './codecs/index.js';
import { BlobFormat } from './format/blob.js';
import type { ResolvedOptions } from './options.js';
import { getSerializer } from './serializers/index.js';

/** The blob format of a stash's settings: its serializer, codec and base64 switch (loaded with the first stash). */
export function blobFormat(
  options: Pick<ResolvedOptions, 'serializer' | 'compress' | 'b64' | 'trustCode'>,
): BlobFormat {
  return new BlobFormat({
    serializer: getSerializer(options.serializer),
    codec: getCodec(options.compress),
    base64: options.b64 ? base64Codec : null,
    trustCode: options.trustCode,
  });
}

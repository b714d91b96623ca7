import { constants } from 'node:buffer';

/**
 * The most UTF-8 bytes the text serializers (hashstash, devalue, keys) can read back: V8's longest string. Node refuses
 * to decode more bytes than that into one string even when the text would be shorter (multi-byte characters), so
 * longer text is refused when written, and longer input is corrupt when read.
 */
export const MAX_TEXT_BYTES = constants.MAX_STRING_LENGTH;

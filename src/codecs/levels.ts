/**
 * Compression settings, all in one place. They favour speed: a cache is written as often as it is read,
 * and values are mostly small.
 *
 * - zlib and gzip at level 6, zlib's own default: within a few percent of level 9's size at about twice its speed.
 * - brotli at quality 4: about zlib-6's speed with a smaller output. Quality 11 (brotli's default) compresses
 *   at roughly 1 MB/s, far too slow for a cache.
 * - lz4 has no level: lz4-napi only exposes the fast block compressor.
 */
export const ZLIB_LEVEL = 6;
export const GZIP_LEVEL = 6;
export const BROTLI_QUALITY = 4;

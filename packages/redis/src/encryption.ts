import type { webcrypto } from 'node:crypto';
import { GoToAuthError } from '@goto-auth/core';

/**
 * An AES-256 key: 32 raw bytes, the same 32 bytes as a base64 (or base64url) string, or a Web
 * Crypto `CryptoKey` made for `AES-GCM` with a length of 256 and the `encrypt` and `decrypt`
 * usages.
 */
export type EncryptionKeyMaterial = Uint8Array | string | webcrypto.CryptoKey;

/**
 * An encryption key with the id written beside every value it encrypts. Name keys yourself
 * when you rotate them or hold them as non-extractable `CryptoKey`s.
 *
 * @example
 * ```ts
 * { id: '2026-01', key: process.env.GOTO_TOKEN_KEY! }
 * ```
 */
export interface EncryptionKeyWithId {
  /** 1 to 64 characters of `A-Z a-z 0-9 _ -`. */
  id: string;
  /** The key itself. */
  key: EncryptionKeyMaterial;
}

/** What the `encryptionKey` and `decryptionKeys` options accept. */
export type EncryptionKey = EncryptionKeyMaterial | EncryptionKeyWithId;

/** Marks an encrypted value and its format version; plaintext values are JSON (`{…`). */
const FORMAT = 'gae1';
const IV_BYTES = 12;
const KEY_ID = /^[A-Za-z0-9_-]{1,64}$/;
const BASE64 = /^[A-Za-z0-9+/_-]+={0,2}$/;
/** The id of a non-extractable `CryptoKey` given without one: nothing to derive it from. */
const OPAQUE_KEY_ID = 'cryptokey';

interface ResolvedKey {
  id: string;
  key: webcrypto.CryptoKey;
}

function invalid(message: string): never {
  throw new GoToAuthError('INVALID_OPTIONS', `RedisTokenStore: ${message}`);
}

function isCryptoKey(value: unknown): value is webcrypto.CryptoKey {
  return (
    typeof value === 'object' &&
    value !== null &&
    !(value instanceof Uint8Array) &&
    'algorithm' in value &&
    'usages' in value &&
    'type' in value
  );
}

function toBase64Url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}

function fromBase64Url(text: string): Uint8Array<ArrayBuffer> {
  const buffer = Buffer.from(text, 'base64url');
  const bytes = new Uint8Array(buffer.byteLength);
  bytes.set(buffer);
  return bytes;
}

/** Checks what can be checked without awaiting, so a bad key fails at construction. */
function rawKeyBytes(material: Uint8Array | string, option: string): Uint8Array<ArrayBuffer> {
  let bytes: Uint8Array<ArrayBuffer>;
  if (typeof material === 'string') {
    // Buffer.from(…, 'base64') skips characters it does not know: check the text first.
    if (!BASE64.test(material.trim())) invalid(`"${option}" is not a base64 string.`);
    // Node's decoder reads both alphabets, so base64 and base64url keys decode alike.
    bytes = fromBase64Url(material.trim());
  } else {
    // A copy: a caller that reuses or zeroes its buffer must not change our key.
    bytes = new Uint8Array(material.byteLength);
    bytes.set(material);
  }
  if (bytes.byteLength !== 32) {
    invalid(`"${option}" must be 32 bytes (AES-256); got ${bytes.byteLength}.`);
  }
  return bytes;
}

function checkCryptoKey(key: webcrypto.CryptoKey, option: string): void {
  const algorithm = key.algorithm as { name?: string; length?: number };
  if (algorithm.name !== 'AES-GCM' || algorithm.length !== 256) {
    invalid(`"${option}" must be an AES-GCM CryptoKey of length 256.`);
  }
  if (!key.usages.includes('encrypt') || !key.usages.includes('decrypt')) {
    invalid(`"${option}" must allow the "encrypt" and "decrypt" usages.`);
  }
}

/** A short public fingerprint of a key: it tells keys apart and reveals nothing of them. */
async function deriveKeyId(raw: Uint8Array<ArrayBuffer>): Promise<string> {
  const label = new TextEncoder().encode('goto-auth/redis key id\0');
  const data = new Uint8Array(label.byteLength + raw.byteLength);
  data.set(label);
  data.set(raw, label.byteLength);
  const digest = await globalThis.crypto.subtle.digest('SHA-256', data);
  return toBase64Url(new Uint8Array(digest).subarray(0, 6));
}

type PreparedKey = () => Promise<ResolvedKey>;

function prepareKey(input: EncryptionKey, option: string): PreparedKey {
  let id: string | undefined;
  let material: EncryptionKeyMaterial;
  if (input === null || input === undefined) {
    invalid(`"${option}" must be a Uint8Array, a base64 string or a CryptoKey.`);
  }
  if (typeof input === 'object' && !(input instanceof Uint8Array) && !isCryptoKey(input)) {
    if (typeof input.id !== 'string' || !KEY_ID.test(input.id)) {
      invalid(`"${option}.id" must be 1 to 64 characters of A-Z a-z 0-9 _ -.`);
    }
    id = input.id;
    material = input.key;
  } else {
    material = input;
  }
  if (isCryptoKey(material)) {
    checkCryptoKey(material, option);
    const key = material;
    return async () => {
      if (id !== undefined) return { id, key };
      if (!key.extractable) return { id: OPAQUE_KEY_ID, key };
      const raw = new Uint8Array(await globalThis.crypto.subtle.exportKey('raw', key));
      return { id: await deriveKeyId(raw), key };
    };
  }
  if (typeof material !== 'string' && !(material instanceof Uint8Array)) {
    invalid(`"${option}" must be a Uint8Array, a base64 string or a CryptoKey.`);
  }
  const raw = rawKeyBytes(material, option);
  return async () => ({
    id: id ?? (await deriveKeyId(raw)),
    key: await globalThis.crypto.subtle.importKey('raw', raw, 'AES-GCM', false, [
      'encrypt',
      'decrypt',
    ]),
  });
}

function storeError(message: string, cause?: unknown): GoToAuthError {
  return new GoToAuthError('STORE_ERROR', message, cause === undefined ? {} : { cause });
}

/**
 * AES-256-GCM for stored tokens. The value is `gae1.<key id>.<iv>.<ciphertext>` (base64url);
 * the Redis key name is authenticated with it, so a value copied under another key fails.
 */
export class TokenCipher {
  readonly #prepared: PreparedKey[];
  #keys: Promise<ResolvedKey[]> | undefined;

  constructor(encryptionKey: EncryptionKey, decryptionKeys: readonly EncryptionKey[] = []) {
    if (!Array.isArray(decryptionKeys)) invalid('"decryptionKeys" must be an array.');
    this.#prepared = [
      prepareKey(encryptionKey, 'encryptionKey'),
      ...decryptionKeys.map((key, index) => prepareKey(key, `decryptionKeys[${index}]`)),
    ];
  }

  /** Imported once, on first use: the constructor cannot await. */
  #resolve(): Promise<ResolvedKey[]> {
    this.#keys ??= Promise.all(this.#prepared.map((prepare) => prepare())).catch(
      (error: unknown) => {
        this.#keys = undefined;
        throw storeError('Could not import the encryption key.', error);
      },
    );
    return this.#keys;
  }

  static isEncrypted(value: string): boolean {
    return value.startsWith(`${FORMAT}.`);
  }

  async encrypt(plaintext: string, context: string): Promise<string> {
    const keys = await this.#resolve();
    const current = keys[0] as ResolvedKey;
    const iv = globalThis.crypto.getRandomValues(new Uint8Array(IV_BYTES));
    const ciphertext = await globalThis.crypto.subtle.encrypt(
      { name: 'AES-GCM', iv, additionalData: aad(current.id, context) },
      current.key,
      new TextEncoder().encode(plaintext),
    );
    return `${FORMAT}.${current.id}.${toBase64Url(iv)}.${toBase64Url(new Uint8Array(ciphertext))}`;
  }

  async decrypt(value: string, context: string): Promise<string> {
    const parts = value.split('.');
    const [format, id, iv, ciphertext] = parts;
    if (
      parts.length !== 4 ||
      format !== FORMAT ||
      id === undefined ||
      iv === undefined ||
      ciphertext === undefined
    ) {
      throw storeError('The stored token is not in a format this version can read.');
    }
    const keys = await this.#resolve();
    const candidates = keys.filter((key) => key.id === id);
    if (candidates.length === 0) {
      const known = keys.map((key) => `"${key.id}"`).join(', ');
      throw storeError(
        `The encryption key is wrong: the stored token was encrypted with key id "${id}", and this store has ${known}. Give every process that shares the store the same encryptionKey (keep an old key in decryptionKeys while rotating).`,
      );
    }
    for (const candidate of candidates) {
      try {
        const plaintext = await globalThis.crypto.subtle.decrypt(
          { name: 'AES-GCM', iv: fromBase64Url(iv), additionalData: aad(id, context) },
          candidate.key,
          fromBase64Url(ciphertext),
        );
        return new TextDecoder().decode(plaintext);
      } catch {
        // Authentication failed with this key: try the next one of the same id.
      }
    }
    throw storeError(
      `The encryption key is wrong, or the stored value was altered: it does not decrypt with key id "${id}".`,
    );
  }
}

function aad(id: string, context: string): Uint8Array<ArrayBuffer> {
  return new TextEncoder().encode(`${FORMAT}.${id}.${context}`);
}

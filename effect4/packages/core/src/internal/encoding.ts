/**
 * Bytes as base64, base64url and hex text and back, for inputs of any size: built a block at a time,
 * never by spreading a whole array into one call (which overflows the stack past a few hundred kB).
 *
 * @internal
 */

const block = 0x8000

/** Standard base64 (with padding) of some bytes. @internal */
export const toBase64 = (bytes: Uint8Array): string => {
  let binary = ""
  for (let start = 0; start < bytes.length; start += block) {
    binary += String.fromCharCode.apply(null, Array.from(bytes.subarray(start, start + block)))
  }
  return btoa(binary)
}

/** The bytes of standard base64 text, or `undefined` when it is not base64. @internal */
export const fromBase64 = (text: string): Uint8Array<ArrayBuffer> | undefined => {
  let binary: string
  try {
    binary = atob(text)
  } catch {
    return undefined
  }
  const bytes = new Uint8Array(binary.length)
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i)
  return bytes
}

/** Base64url (RFC 4648 §5, no padding) of standard base64 text. @internal */
export const base64ToUrl = (base64: string): string =>
  base64.replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "")

/** Lower-case hex of some bytes. @internal */
export const toHex = (bytes: Uint8Array): string => {
  let out = ""
  for (let i = 0; i < bytes.length; i++) out += bytes[i]!.toString(16).padStart(2, "0")
  return out
}

/** The parts of the `stopword` package (no bundled types) Rapport uses: per-language lists by ISO 639-3 code. */
declare module 'stopword' {
  export const deu: string[];
  export const spa: string[];
  export const fra: string[];
  export const ita: string[];
  export const nld: string[];
  export const por: string[];
  export const rus: string[];
  export const zho: string[];
  export const jpn: string[];
  export const kor: string[];
}

/**
 * Types for the parts of NLP.js Relevo uses. The packages ship plain CommonJS without declarations;
 * these cover only the calls made from `nlu-models/`.
 */
declare module '@nlpjs/lang-en' {
  export class StemmerEn {
    stem(tokens: string[]): string[];
  }
}

declare module '@nlpjs/lang-es' {
  export class StemmerEs {
    stem(tokens: string[]): string[];
  }
}

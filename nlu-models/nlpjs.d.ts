/**
 * Types for the parts of NLP.js Relevo uses. The packages ship plain CommonJS without declarations;
 * these cover only the calls made from `nlu-models/`.
 */
declare module '@nlpjs/lang-en-min' {
  export class StemmerEn {
    stem(tokens: string[]): string[];
  }
}

declare module '@nlpjs/lang-es/src/stemmer-es.js' {
  export default class StemmerEs {
    stem(tokens: string[]): string[];
  }
}

declare module '@nlpjs/neural' {
  /** NLP.js's classifier: one leaky-ReLU perceptron per intent over a bag of features. */
  export class NeuralNetwork {
    constructor(settings?: Record<string, unknown>);
    train(corpus: { input: Record<string, number>; output: Record<string, number> }[]): unknown;
    run(input: Record<string, number>): Record<string, number> | undefined;
    toJSON(): unknown;
    fromJSON(json: unknown): void;
  }
}

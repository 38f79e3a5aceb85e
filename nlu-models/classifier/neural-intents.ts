/**
 * NLP.js's own intent classifier (`@nlpjs/neural`: one leaky-ReLU perceptron per intent over the
 * set of word stems), as the second member of the intent ensemble. It sees only stems, so it
 * generalises differently from the n-gram model; on small corpora averaging the two calibrated
 * distributions beats either (see {@link IntentClassifier}).
 */
import { NeuralNetwork } from '@nlpjs/neural';
import type { LabelledText } from '../corpus/jsonl.js';
import { normalizeText, tokenize } from '../text/normalize.js';
import { type Language, WordStemmer } from '../text/stemmer.js';

/** The serialisable state: NLP.js's own JSON of the network. */
export type NeuralIntentState = unknown;

/** A trained NLP.js neural intent model over a fixed label order. */
export class NeuralIntents {
  private readonly stemmer: WordStemmer;

  private constructor(
    private readonly network: NeuralNetwork,
    private readonly labels: readonly string[],
    language: Language,
  ) {
    this.stemmer = new WordStemmer(language);
  }

  /** Trains on labelled utterances; `labels` fixes the order of {@link NeuralIntents.scores}. */
  static train(rows: readonly LabelledText[], labels: readonly string[], language: Language): NeuralIntents {
    const network = new NeuralNetwork({});
    const model = new NeuralIntents(network, labels, language);
    network.train(rows.map((r) => ({ input: model.features(r.text), output: { [r.label]: 1 } })));
    return model;
  }

  /** Rebuilds a model from {@link NeuralIntents.toJSON} output. */
  static fromJSON(state: NeuralIntentState, labels: readonly string[], language: Language): NeuralIntents {
    const network = new NeuralNetwork();
    network.fromJSON(state);
    return new NeuralIntents(network, labels, language);
  }

  /** NLP.js's JSON of the network. */
  toJSON(): NeuralIntentState {
    return this.network.toJSON();
  }

  /** Raw perceptron outputs in label order (treated as logits and calibrated by a temperature). */
  scores(text: string): Float64Array {
    const out = this.network.run(this.features(text)) ?? {};
    return Float64Array.from(this.labels, (label) => out[label] ?? 0);
  }

  private features(text: string): Record<string, number> {
    const features: Record<string, number> = {};
    for (const word of tokenize(normalizeText(text))) features[this.stemmer.stem(word)] = 1;
    return features;
  }
}

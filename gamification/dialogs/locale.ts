import type { Lang } from '../../dialogs/i18n.js';

/** The games' replies in English; every key must exist in Spanish too (the type checks it). */
const en = {
  'game.unavailable': "Games aren't available right now. Please try again later.",
  'trivia.already': "You've already played today's trivia. Come back tomorrow for five new questions!",
  'trivia.intro': 'Trivia time! {count} questions, {points} points for each right answer.',
  'trivia.question': 'Question {number} of {of}: {text}',
  'trivia.retry': 'Please choose one of the options, 1 to {count}.\nQuestion {number} of {of}: {text}',
  'trivia.right': 'Right!',
  'trivia.wrong': 'Not quite: the answer was {answer}.',
  'trivia.result': 'You got {correct} of {of} right and earned {points} points.',
  'trivia.result.win': 'You got {correct} of {of} right and earned {points} points, and a win!',
  'trivia.balance': 'Your balance is now {balance} points.',
  'spin.offer': 'The daily spin: one spin a day, and the wheel pays points. Ready?',
  'spin.offer.again': 'Ready to spin?',
  'spin.now': 'Spin the wheel',
  'spin.odds': 'Show the odds',
  'spin.later': 'Not now',
  'spin.odds.title': 'The chances of each spin:',
  'spin.odds.row': '• {label}: {percent}',
  'spin.already': "You've already spun the wheel today. Come back tomorrow for another spin!",
  'spin.won': 'The wheel stops on… {label}! Your balance is now {balance} points.',
  'spin.lost': 'The wheel stops on… {label}. No points this time; come back tomorrow!',
  'spin.maybe.later': 'No problem, the wheel will be here when you want it.',
} as const;

export type GameMessageKey = keyof typeof en;

const es: Record<GameMessageKey, string> = {
  'game.unavailable': 'Los juegos no están disponibles ahora mismo. Inténtalo más tarde.',
  'trivia.already': 'Ya has jugado a la trivia de hoy. ¡Vuelve mañana para cinco preguntas nuevas!',
  'trivia.intro': '¡Hora de la trivia! {count} preguntas, {points} puntos por cada respuesta correcta.',
  'trivia.question': 'Pregunta {number} de {of}: {text}',
  'trivia.retry': 'Elige una de las opciones, de 1 a {count}.\nPregunta {number} de {of}: {text}',
  'trivia.right': '¡Correcto!',
  'trivia.wrong': 'No exactamente: la respuesta era {answer}.',
  'trivia.result': 'Has acertado {correct} de {of} y ganas {points} puntos.',
  'trivia.result.win': 'Has acertado {correct} de {of} y ganas {points} puntos, ¡y una victoria!',
  'trivia.balance': 'Ahora tienes {balance} puntos.',
  'spin.offer': 'La ruleta diaria: una tirada al día, y la ruleta da puntos. ¿Preparado?',
  'spin.offer.again': '¿Giramos la ruleta?',
  'spin.now': 'Girar la ruleta',
  'spin.odds': 'Ver las probabilidades',
  'spin.later': 'Ahora no',
  'spin.odds.title': 'Las probabilidades de cada tirada:',
  'spin.odds.row': '• {label}: {percent}',
  'spin.already': 'Ya has girado la ruleta hoy. ¡Vuelve mañana para otra tirada!',
  'spin.won': 'La ruleta se para en… ¡{label}! Ahora tienes {balance} puntos.',
  'spin.lost': 'La ruleta se para en… {label}. Esta vez no hay puntos; ¡vuelve mañana!',
  'spin.maybe.later': 'Sin problema, la ruleta te espera cuando quieras.',
};

const catalogues: Record<Lang, Record<GameMessageKey, string>> = { en, es };

/** A game reply in `lang`, with `{name}` placeholders filled from `params`. */
export function say(lang: Lang, key: GameMessageKey, params: Record<string, string | number> = {}): string {
  return catalogues[lang][key].replace(/\{(\w+)\}/g, (match, name: string) =>
    params[name] === undefined ? match : String(params[name]),
  );
}

import type { Activity, CardAction } from 'botbuilder';

/**
 * The one fallback for channels that cannot show buttons (STYLE.md rule 3): the activity's text
 * followed by its suggested actions as a numbered list. Users answer with the number or the title;
 * botbuilder's ChoicePrompt recognises both.
 */
export function choicesAsText(activity: Partial<Activity>): string {
  const text = activity.text ?? '';
  const actions = activity.suggestedActions?.actions ?? [];
  if (actions.length === 0) return text;
  const lines = actions.map((action, i) => `${i + 1}. ${actionTitle(action)}`);
  return text ? `${text}\n\n${lines.join('\n')}` : lines.join('\n');
}

/** What a button shows: its title, else its value as text. */
export function actionTitle(action: CardAction): string {
  if (action.title) return action.title;
  return typeof action.value === 'string' ? action.value : JSON.stringify(action.value);
}

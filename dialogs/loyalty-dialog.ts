import { ComponentDialog, WaterfallDialog, type WaterfallStepContext } from './botbuilder-dialogs.js';
import { turnMember } from '../core/turn-state.js';
import { addYesNoPrompt, confirm } from './confirm.js';
import { hasMessage, replyLanguage, t } from './i18n.js';
import { ListPrompt } from './prompts.js';
import type { LoyaltyService, Reward } from './services.js';

export const LOYALTY_DIALOG = 'loyalty';
const REWARD_PROMPT = 'rewardPrompt';

export type LoyaltyAction = 'balance' | 'tier' | 'earn' | 'catalogue' | 'redeem' | 'leaderboard';

/** Points balance, tier, how to earn, the rewards catalogue and redeeming a reward (the ledger's). */
export class LoyaltyDialog extends ComponentDialog {
  constructor(loyalty: LoyaltyService | undefined) {
    super(LOYALTY_DIALOG);
    this.initialDialogId = 'steps';
    addYesNoPrompt(this);
    this.addDialog(new ListPrompt(REWARD_PROMPT));
    this.addDialog(
      new WaterfallDialog('steps', [
        async (step: WaterfallStepContext) => {
          const lang = replyLanguage(step.context);
          const action = (step.options as { action?: LoyaltyAction } | undefined)?.action ?? 'balance';
          const member = turnMember(step.context);
          if (!loyalty || !member) {
            await step.context.sendActivity(t(lang, 'loyalty.unavailable'));
            return step.endDialog({ resolved: false });
          }
          switch (action) {
            case 'balance': {
              const account = await loyalty.account(member.id, step.context);
              await step.context.sendActivity(
                t(lang, 'loyalty.balance', { points: account.points, tier: tierName(lang, account.tier) }),
              );
              if (member.isAnonymous) await step.context.sendActivity(t(lang, 'loyalty.anonymous'));
              return step.endDialog({ resolved: true });
            }
            case 'tier': {
              const account = await loyalty.account(member.id, step.context);
              const next = account.nextTier
                ? t(lang, 'loyalty.next.tier', {
                    missing: account.nextTier.missing,
                    tier: tierName(lang, account.nextTier.name),
                  })
                : t(lang, 'loyalty.top.tier');
              await step.context.sendActivity(
                t(lang, 'loyalty.tier', {
                  tier: tierName(lang, account.tier),
                  lifetime: account.lifetime,
                  next,
                }),
              );
              return step.endDialog({ resolved: true });
            }
            case 'earn': {
              const ways = await loyalty.waysToEarn(lang);
              await step.context.sendActivity(t(lang, 'loyalty.earn', { ways: ways.join('; ') }));
              return step.endDialog({ resolved: true });
            }
            case 'catalogue': {
              const rewards = await loyalty.rewards(lang);
              await step.context.sendActivity(catalogueText(lang, rewards));
              return step.endDialog({ resolved: true });
            }
            case 'leaderboard': {
              const board = await loyalty.leaderboard(member.id);
              const lines =
                board.top.length === 0
                  ? [t(lang, 'loyalty.leaderboard.empty')]
                  : [
                      t(lang, 'loyalty.leaderboard'),
                      ...board.top.map((row, i) =>
                        t(lang, 'loyalty.leaderboard.row', {
                          rank: i + 1,
                          name: row.name,
                          points: row.points,
                        }),
                      ),
                    ];
              if (board.you) lines.push(t(lang, 'loyalty.leaderboard.you', board.you));
              await step.context.sendActivity(lines.join('\n'));
              return step.endDialog({ resolved: true });
            }
            case 'redeem': {
              const rewards = await loyalty.rewards(lang);
              if (rewards.length === 0) {
                await step.context.sendActivity(t(lang, 'loyalty.catalogue.empty'));
                return step.endDialog({ resolved: true });
              }
              (step.values as { rewards?: Reward[] }).rewards = rewards;
              const titles = rewards.map((reward) =>
                t(lang, 'loyalty.reward', { name: reward.name, price: reward.price }),
              );
              return step.prompt(REWARD_PROMPT, { prompt: t(lang, 'loyalty.redeem.which'), choices: titles });
            }
            default: {
              const unknown: never = action;
              throw new Error(`unknown loyalty action ${String(unknown)}`);
            }
          }
        },
        async (step: WaterfallStepContext) => {
          const reward = (step.values as { rewards: Reward[] }).rewards[step.result as number] as Reward;
          (step.values as { reward?: Reward }).reward = reward;
          return confirm(
            step,
            t(replyLanguage(step.context), 'loyalty.redeem.confirm', {
              name: reward.name,
              price: reward.price,
            }),
          );
        },
        async (step: WaterfallStepContext) => {
          const lang = replyLanguage(step.context);
          const reward = (step.values as { reward: Reward }).reward;
          const member = turnMember(step.context);
          if (step.result !== true || !loyalty || !member) {
            // Declining ends the task; the router then asks whether anything else is needed.
            return step.endDialog({ resolved: true });
          }
          // The confirming message's id makes a redelivered "yes" redeem once.
          const outcome = await loyalty.redeem(
            member.id,
            reward.id,
            `redeem:${step.context.activity.channelId}:${step.context.activity.id}`,
          );
          await step.context.sendActivity(
            outcome.ok
              ? t(lang, 'loyalty.redeem.done', {
                  name: reward.name,
                  code: outcome.code,
                  points: outcome.points,
                })
              : t(lang, 'loyalty.redeem.failed', {
                  name: reward.name,
                  reason: t(lang, `redeem.reason.${outcome.reason}`),
                }),
          );
          return step.endDialog({ resolved: true });
        },
      ]),
    );
  }
}

/** A tier's name in the customer's language; tiers the locales do not know show their configured id. */
function tierName(lang: 'en' | 'es', tier: string): string {
  const key = `tier.${tier}`;
  return hasMessage(key) ? t(lang, key) : tier;
}

function catalogueText(lang: 'en' | 'es', rewards: Reward[]): string {
  if (rewards.length === 0) return t(lang, 'loyalty.catalogue.empty');
  const lines = rewards.map(
    (reward) => `• ${t(lang, 'loyalty.reward', { name: reward.name, price: reward.price })}`,
  );
  return [t(lang, 'loyalty.catalogue'), ...lines].join('\n');
}

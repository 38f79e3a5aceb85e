import type { TurnContext } from 'botbuilder';
import type { DialogContext, DialogSet, DialogStateManagerConfiguration } from './botbuilder-dialogs.js';

// botbuilder-dialogs' turn-state key of the memory scopes and path resolvers its dialog contexts use.
// Without it, the first dialog context of every turn builds them anew (a service collection, nine scope
// objects, schema checks); the scopes keep nothing themselves (their memory is in turn state).
const CONFIGURATION_KEY = 'DialogStateManagerConfiguration';

/**
 * Creates the dialog contexts of a `DialogSet` with its memory scopes built once per process: the
 * configuration the first turn built is put on every later turn. Turn-specific `memoryScopes` or
 * `pathResolvers` in turn state are not supported (nothing in Relevo sets them).
 */
export class DialogContexts {
  private configuration: DialogStateManagerConfiguration | undefined;

  constructor(private readonly dialogs: DialogSet) {}

  async create(context: TurnContext): Promise<DialogContext> {
    if (this.configuration && !context.turnState.has(CONFIGURATION_KEY)) {
      context.turnState.set(CONFIGURATION_KEY, this.configuration);
    }
    const dc = await this.dialogs.createContext(context);
    this.configuration ??= dc.state.configuration;
    return dc;
  }
}

import { ConfigurationBotFrameworkAuthentication } from 'botbuilder';
import { describe, expect, it } from 'vitest';
import {
  authenticationSettings,
  type BotFrameworkCredentials,
} from '../../../connectors/botframework/adapter.js';

/**
 * The endpoints, caller id and credential factory botbuilder settled on: the fields of the
 * authentication it builds inside (private in its typings, hence the cast).
 */
function settled(settings: ConstructorParameters<typeof ConfigurationBotFrameworkAuthentication>[0]) {
  const { inner } = new ConfigurationBotFrameworkAuthentication(settings) as unknown as {
    inner: Record<string, unknown>;
  };
  return inner;
}

describe('the Bot Framework authentication Relevo gives botbuilder', () => {
  it("equals botbuilder's own public-Azure defaults, field by field, when neither endpoint setting is given", () => {
    const deployments: BotFrameworkCredentials[] = [
      {},
      { appId: 'app-id', appPassword: 'app-password' },
      { appId: 'app-id', appPassword: 'app-password', appType: 'MultiTenant' },
      { appId: 'app-id', appPassword: 'app-password', appType: 'SingleTenant', tenantId: 'tenant' },
      { appId: 'app-id', appType: 'UserAssignedMSI', tenantId: 'tenant' },
    ];
    for (const credentials of deployments) {
      const ours = settled(authenticationSettings(credentials));
      const botbuilders = settled({
        MicrosoftAppId: credentials.appId,
        MicrosoftAppPassword: credentials.appPassword,
        MicrosoftAppType: credentials.appType,
        MicrosoftAppTenantId: credentials.tenantId,
      });
      // Same classes (the credential factory's too) and the same values in every field.
      expect(ours).toStrictEqual(botbuilders);
      // The cast above still reaches botbuilder's settings (not two undefined, equal by accident).
      expect(ours).toHaveProperty('callerId', 'urn:botframework:azure');
    }
  });

  it('moves only where incoming tokens are checked when the endpoint settings are given', () => {
    const credentials = { appId: 'app-id', appPassword: 'app-password' };
    const ours = settled(
      authenticationSettings({
        ...credentials,
        openIdMetadataUrl: 'https://tokens.example/.well-known/openidconfiguration',
        tokenIssuer: 'https://issuer.example',
      }),
    );
    const botbuilders = settled({ MicrosoftAppId: 'app-id', MicrosoftAppPassword: 'app-password' });
    expect({ ...ours }).toStrictEqual({
      ...botbuilders,
      toBotFromChannelOpenIdMetadataUrl: 'https://tokens.example/.well-known/openidconfiguration',
      toBotFromChannelTokenIssuer: 'https://issuer.example',
    });
  });
});

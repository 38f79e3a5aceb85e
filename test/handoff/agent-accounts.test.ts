import { describe, expect, it } from 'vitest';
import { hashAgentPassword, parseAgentAccounts, verifyAgentPassword } from '../../handoff/agent-accounts.js';

describe('agent accounts', () => {
  it('hashes passwords with scrypt and a random salt, and verifies them', async () => {
    const first = await hashAgentPassword('correct horse', { N: 1024 });
    const second = await hashAgentPassword('correct horse', { N: 1024 });
    expect(first).toMatch(/^scrypt\$1024\$8\$1\$[\w-]+\$[\w-]+$/);
    expect(first).not.toBe(second);
    expect(await verifyAgentPassword('correct horse', first)).toBe(true);
    expect(await verifyAgentPassword('correct horse!', first)).toBe(false);
    expect(await verifyAgentPassword('x', 'md5$abc')).toBe(false);
  });

  it('reads AGENT_ACCOUNTS with defaults for role, skills and capacity', async () => {
    const passwordHash = await hashAgentPassword('pw', { N: 1024 });
    expect(parseAgentAccounts(JSON.stringify([{ id: 'ana', name: 'Ana', passwordHash }]))).toEqual([
      { id: 'ana', name: 'Ana', role: 'agent', passwordHash, languages: [], topics: [], maxChats: 3 },
    ]);
  });

  it('names what is wrong with a bad AGENT_ACCOUNTS value', () => {
    expect(() => parseAgentAccounts('{')).toThrow('AGENT_ACCOUNTS is not valid JSON');
    expect(() => parseAgentAccounts('[{"id":"ana","name":"Ana","passwordHash":"plain"}]')).toThrow(
      /AGENT_ACCOUNTS: 0\.passwordHash/,
    );
    const hash = 'scrypt$1024$8$1$abc$def';
    const twice = JSON.stringify([
      { id: 'a', name: 'A', passwordHash: hash },
      { id: 'a', name: 'B', passwordHash: hash },
    ]);
    expect(() => parseAgentAccounts(twice)).toThrow(/"a" twice/);
  });
});

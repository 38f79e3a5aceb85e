/**
 * The OpenAPI 3.1 document served at `/openapi.json`. Each feature registers the paths it mounts,
 * next to the code that mounts them, so the document cannot drift from the routes.
 */
export interface OpenApiOperation {
  summary: string;
  tags?: string[];
  parameters?: Record<string, unknown>[];
  requestBody?: Record<string, unknown>;
  responses: Record<string, Record<string, unknown>>;
  security?: Record<string, string[]>[];
}

export type OpenApiPathItem = Partial<Record<'get' | 'post' | 'put' | 'patch' | 'delete', OpenApiOperation>>;

export class OpenApiRegistry {
  private readonly paths: Record<string, OpenApiPathItem> = {};

  /** Adds operations for a path (`/api/members/{id}`), merging with operations already there. */
  add(path: string, item: OpenApiPathItem): void {
    this.paths[path] = { ...this.paths[path], ...item };
  }

  document(version: string): Record<string, unknown> {
    return {
      openapi: '3.1.0',
      info: { title: 'Relevo', version },
      components: {
        securitySchemes: { apiToken: { type: 'http', scheme: 'bearer', description: 'RELEVO_API_TOKEN' } },
        schemas: {
          Error: {
            type: 'object',
            required: ['code', 'message'],
            properties: { code: { type: 'string' }, message: { type: 'string' } },
          },
        },
      },
      paths: Object.fromEntries(Object.entries(this.paths).sort(([a], [b]) => a.localeCompare(b))),
    };
  }
}

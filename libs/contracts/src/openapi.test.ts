import { buildOpenApiDocument, httpRoutes } from './openapi';

describe('OpenAPI document', () => {
  const doc = buildOpenApiDocument() as { openapi: string; paths: Record<string, Record<string, any>>; components: any };

  it('is OpenAPI 3.1 with an operation for every route', () => {
    expect(doc.openapi).toBe('3.1.0');
    for (const route of httpRoutes) expect(doc.paths[route.path]?.[route.method]?.responses).toBeDefined();
  });

  it('takes request schemas from the contract', () => {
    const signup = doc.paths['/auth/signup']!.post.requestBody.content['application/json'].schema;
    expect(signup.properties.username).toMatchObject({ minLength: 3, maxLength: 32, pattern: '^[a-zA-Z0-9_.-]+$' });
    expect(signup.required).toEqual(['username', 'password']);
    expect(doc.paths['/auth/token']!.post.requestBody.content).toHaveProperty('application/x-www-form-urlencoded');
    expect(doc.paths['/users']!.get.parameters.map((p: { name: string }) => p.name)).toEqual(['q', 'limit', 'cursor']);
  });

  it('secures private routes with bearer or the OAuth2 password flow at /auth/token', () => {
    expect(doc.components.securitySchemes.oauth2.flows.password.tokenUrl).toBe('/auth/token');
    expect(doc.paths['/auth/me']!.get.security).toEqual([{ bearer: [] }, { oauth2: [] }]);
    expect(doc.paths['/auth/me']!.get.responses).toHaveProperty('401');
    expect(doc.paths['/auth/login']!.post.security).toEqual([]);
  });

  it('gives every operation a unique id', () => {
    const ids = Object.values(doc.paths).flatMap((ops) => Object.values(ops).map((op) => op.operationId));
    expect(new Set(ids).size).toBe(ids.length);
  });
});

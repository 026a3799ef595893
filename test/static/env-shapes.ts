/**
 * The environment variables each service reads, taken from its zod shapes: the exported shapes
 * (commonEnv, authEnv, gatewayEnv, ...), shapes declared in main.ts, and the object literal passed to loadConfig.
 */
import * as platform from '@pneumatic/platform';
import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import * as ts from 'typescript';

export const serviceNames = ['auth', 'conversations', 'messages', 'presence', 'gateway', 'exporter'] as const;
export type ServiceName = (typeof serviceNames)[number];

const root = path.resolve(__dirname, '..', '..');

/** Read by telemetry, outside the zod shapes. */
const telemetryEnv = ['OTEL_EXPORTER_OTLP_ENDPOINT', 'OTEL_SERVICE_NAME'];

export function envReadBy(service: ServiceName): string[] {
  const shapes = { ...(platform as Record<string, unknown>), ...configExports(service) };
  const source = readFileSync(path.join(root, 'services', service, 'src', 'main.ts'), 'utf8');
  const file = ts.createSourceFile('main.ts', source, ts.ScriptTarget.ES2022, true);
  const names = new Set<string>(telemetryEnv);
  const localShapes = new Map<string, ts.ObjectLiteralExpression>();
  for (const statement of file.statements) {
    if (!ts.isVariableStatement(statement)) continue;
    for (const declaration of statement.declarationList.declarations) {
      if (ts.isIdentifier(declaration.name) && declaration.initializer && ts.isObjectLiteralExpression(declaration.initializer)) {
        localShapes.set(declaration.name.text, declaration.initializer);
      }
    }
  }
  const literalKeys = (literal: ts.ObjectLiteralExpression) => {
    for (const property of literal.properties) {
      if (ts.isSpreadAssignment(property) && ts.isIdentifier(property.expression)) shapeKeys(property.expression.text);
      else if (property.name && (ts.isIdentifier(property.name) || ts.isStringLiteral(property.name))) names.add(property.name.text);
      else throw new Error(`${service}: unreadable env shape property`);
    }
  };
  const shapeKeys = (name: string): void => {
    const local = localShapes.get(name);
    if (local) return literalKeys(local);
    const shape = shapes[name];
    if (typeof shape !== 'object' || shape === null) throw new Error(`${service}: cannot resolve env shape ${name}`);
    Object.keys(shape).forEach((key) => names.add(key));
  };
  const visit = (node: ts.Node): void => {
    if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && /^load\w*Config$/.test(node.expression.text)) {
      const [arg] = node.arguments;
      if (node.expression.text !== 'loadConfig') shapeKeys(`${service}Env`);
      else if (arg && ts.isIdentifier(arg)) shapeKeys(arg.text);
      else if (arg && ts.isObjectLiteralExpression(arg)) literalKeys(arg);
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  if (names.size === telemetryEnv.length) throw new Error(`${service}: found no loadConfig call in main.ts`);
  return [...names].sort();
}

function configExports(service: ServiceName): Record<string, unknown> {
  const file = path.join(root, 'services', service, 'src', 'config.ts');
  return existsSync(file) ? (require(file) as Record<string, unknown>) : {};
}

/**
 * Renders the subset of kustomize that k8s/ uses: resources (files and kustomization folders),
 * namespace, labels (metadata only), images, and strategic-merge patches matched by kind and name.
 * Anything else in a kustomization is refused, so an overlay cannot silently rely on a feature
 * these checks do not render.
 */
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';

export interface Manifest {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; [key: string]: unknown };
  [key: string]: unknown;
}

interface Kustomization {
  resources?: string[];
  namespace?: string;
  labels?: { pairs: Record<string, string>; includeSelectors?: boolean }[];
  images?: { name: string; newName?: string; newTag?: string }[];
  patches?: { path: string }[];
}

const supported = new Set(['apiVersion', 'kind', 'resources', 'namespace', 'labels', 'images', 'patches']);

function readManifests(file: string): Manifest[] {
  return parseAllDocuments(readFileSync(file, 'utf8'))
    .map((doc) => {
      if (doc.errors.length > 0) throw new Error(`${file}: ${doc.errors[0]!.message}`);
      return doc.toJS() as Manifest | null;
    })
    .filter((m): m is Manifest => m !== null);
}

export function renderKustomization(dir: string): Manifest[] {
  const kustomization = readManifests(path.join(dir, 'kustomization.yaml'))[0] as unknown as Kustomization;
  const unknown = Object.keys(kustomization).filter((key) => !supported.has(key));
  if (unknown.length > 0) throw new Error(`${dir}: unsupported kustomize fields ${unknown.join(', ')}`);
  let manifests = (kustomization.resources ?? []).flatMap((resource) => {
    const target = path.join(dir, resource);
    return statSync(target).isDirectory() ? renderKustomization(target) : readManifests(target);
  });
  for (const { path: patchPath } of kustomization.patches ?? []) {
    for (const patch of readManifests(path.join(dir, patchPath))) {
      const index = manifests.findIndex((m) => m.kind === patch.kind && m.metadata.name === patch.metadata.name);
      if (index < 0) throw new Error(`${dir}/${patchPath}: no ${patch.kind}/${patch.metadata.name} to patch`);
      manifests[index] = strategicMerge(manifests[index], patch) as Manifest;
    }
  }
  manifests = manifests.map((m) => {
    const out = structuredClone(m);
    if (kustomization.namespace) out.metadata.namespace = kustomization.namespace;
    for (const { pairs, includeSelectors } of kustomization.labels ?? []) {
      if (includeSelectors) throw new Error(`${dir}: labels.includeSelectors is not rendered here`);
      out.metadata.labels = { ...out.metadata.labels, ...pairs };
    }
    for (const image of kustomization.images ?? []) retagImages(out, image);
    return out;
  });
  return manifests;
}

/** Maps merge recursively; lists whose items all carry a `name` merge by it (containers, env, ports); other lists are replaced. */
export function strategicMerge(base: unknown, patch: unknown): unknown {
  if (Array.isArray(base) && Array.isArray(patch)) {
    const named = (list: unknown[]) => list.every((item) => isObject(item) && typeof item.name === 'string');
    if (!named(base) || !named(patch)) return patch;
    const merged = [...base] as Record<string, unknown>[];
    for (const item of patch as Record<string, unknown>[]) {
      const at = merged.findIndex((existing) => existing.name === item.name);
      if (at < 0) merged.push(item);
      else merged[at] = strategicMerge(merged[at], item) as Record<string, unknown>;
    }
    return merged;
  }
  if (isObject(base) && isObject(patch)) {
    const merged: Record<string, unknown> = { ...base };
    for (const [key, value] of Object.entries(patch)) {
      merged[key] = value === null ? undefined : key in base ? strategicMerge(base[key], value) : value;
    }
    return merged;
  }
  return patch;
}

function retagImages(manifest: Manifest, { name, newName, newTag }: { name: string; newName?: string; newTag?: string }): void {
  const spec = (manifest.spec as { template?: { spec?: { containers?: { image?: string }[] } } } | undefined)?.template?.spec;
  for (const container of spec?.containers ?? []) {
    const [image, tag] = (container.image ?? '').split(':');
    if (image !== name) continue;
    container.image = `${newName ?? image}${newTag ? `:${newTag}` : tag ? `:${tag}` : ''}`;
  }
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

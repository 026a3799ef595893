/** A counter read from a process's Prometheus /metrics, one value per value of a label. */
export async function counterByLabel(metricsUrl: string, name: string, label: string): Promise<Map<string, number>> {
  const res = await fetch(metricsUrl, { signal: AbortSignal.timeout(5000) });
  if (res.status !== 200) throw new Error(`${metricsUrl}: ${res.status}`);
  const values = new Map<string, number>();
  const series = new RegExp(`^${name}\\{([^}]*)\\} (\\S+)$`, 'gm');
  const labelValue = new RegExp(`(?:^|,)${label}="([^"]*)"`);
  for (const [, labels, value] of (await res.text()).matchAll(series)) {
    const key = labelValue.exec(labels!)?.[1] ?? '';
    values.set(key, (values.get(key) ?? 0) + Number(value));
  }
  return values;
}

import { loadConfig } from '@pneumatic/platform';
import { exporterEnv } from './config';

describe('exporter configuration', () => {
  it('reads the empty strings compose passes for unset TLS and SASL settings as unset', () => {
    const config = loadConfig(exporterEnv, { KAFKA_BROKERS: 'kafka:9092', KAFKA_SSL_CA: '', KAFKA_SASL_MECHANISM: '', KAFKA_SASL_USERNAME: '', KAFKA_SASL_PASSWORD: '' });
    expect(config).toMatchObject({ KAFKA_BROKERS: ['kafka:9092'], KAFKA_SSL: false });
    for (const key of ['KAFKA_SSL_CA', 'KAFKA_SASL_MECHANISM', 'KAFKA_SASL_USERNAME', 'KAFKA_SASL_PASSWORD'] as const) expect(config[key]).toBeUndefined();
  });

  it('still refuses a SASL mechanism it does not know', () => {
    expect(() => loadConfig(exporterEnv, { KAFKA_SASL_MECHANISM: 'gssapi' })).toThrow(/KAFKA_SASL_MECHANISM/);
  });

  it('keeps SASL credentials that are set', () => {
    const config = loadConfig(exporterEnv, { KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SASL_USERNAME: 'exporter', KAFKA_SASL_PASSWORD: 'secret' });
    expect(config).toMatchObject({ KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SASL_USERNAME: 'exporter', KAFKA_SASL_PASSWORD: 'secret' });
  });
});

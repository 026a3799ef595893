/** The Kafka exporter's public surface: what a launcher needs to run it inside its own process. */
export { exporterSchema, startExporter } from './service';
export { exporterEnv } from './config';

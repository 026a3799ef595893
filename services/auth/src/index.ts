/** The auth service's public surface: what a launcher needs to run it inside its own process. */
export { authSchema, startAuthService } from './service';
export { loadAuthConfig } from './config';

/** The conversations service's public surface: what a launcher needs to run it inside its own process. */
export { conversationsSchema, startConversationsService } from './service';

/** An error in user input (a model, a spec, a data file) with a message meant for the user. */
export class UserError extends Error {
  override name = 'UserError';
}

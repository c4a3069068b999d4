/** A notification target that cannot be delivered to as configured. */
export class WebhookTargetInvalid extends Error {
  override readonly name = 'WebhookTargetInvalid';
  constructor(
    readonly targetId: string,
    problem: string,
  ) {
    super(`webhook target ${JSON.stringify(targetId)}: ${problem}`);
  }
}

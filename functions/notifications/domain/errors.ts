/** The event names a user the contact read model does not hold yet (their user.registered is still on its way). */
export class ContactUnknown extends Error {
  override readonly name = 'ContactUnknown';
}

/** Another delivery of the same event holds the claim right now; this one retries after the visibility timeout. */
export class DeliveryInProgress extends Error {
  override readonly name = 'DeliveryInProgress';
}

/** The provider certainly did not accept the message (refused, throttled, unreachable): sending again is safe. */
export class ProviderRejected extends Error {
  override readonly name = 'ProviderRejected';
}

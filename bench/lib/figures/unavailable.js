/** Thrown (not an error of the server under test) when a figure cannot be measured on this build. */
export class NotAvailableYet extends Error {}

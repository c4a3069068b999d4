export { KernelSpecInvalid } from './kernel-spec-invalid.js';
export { SourceCheckoutFailed } from './source-checkout-failed.js';

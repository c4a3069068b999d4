export { ArtifactMissing } from './artifact-missing.js';
export { LabNotServed } from './lab-not-served.js';
export { LostLock } from './lost-lock.js';
export {
  type InterruptCause,
  interruptCause,
  isInterruptCause,
  StepInterrupted,
} from './step-interrupted.js';

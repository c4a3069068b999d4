export { ArtifactMissing } from './artifact-missing.js';
export { BuildSlotMovedOn } from './build-slot-moved-on.js';
export { LabNotServed } from './lab-not-served.js';
export { LostLock } from './lost-lock.js';
export {
  type InterruptCause,
  interruptCause,
  isInterruptCause,
  StepInterrupted,
} from './step-interrupted.js';

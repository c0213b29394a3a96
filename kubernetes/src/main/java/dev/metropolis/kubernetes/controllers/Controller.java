package dev.metropolis.kubernetes.controllers;

/**
 * One control loop: reads the current state from the API server and writes what is missing.
 * Level-triggered and idempotent: a pass after any change, or none, converges to the same state.
 */
interface Controller {
  void sync();
}

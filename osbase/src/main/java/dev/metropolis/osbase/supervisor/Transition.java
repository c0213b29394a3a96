package dev.metropolis.osbase.supervisor;

import dev.metropolis.osbase.logtree.DN;

/**
 * A state change of one runnable, reported to {@link Options#listener()} on the supervisor's
 * processor thread (for metrics, and for tests that wait for a given state). A (re)start reports
 * {@code to == NEW}.
 */
public record Transition(DN dn, RunnableState from, RunnableState to, int restarts) {}

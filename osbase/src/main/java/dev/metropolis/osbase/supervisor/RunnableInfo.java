package dev.metropolis.osbase.supervisor;

import dev.metropolis.osbase.logtree.DN;
import java.util.Optional;

/**
 * One runnable as seen in a {@link Supervisor#snapshot()}.
 *
 * @param restarts how many times it was started again after its first start (in its current
 *     incarnation: when its parent restarts, it is created anew and counts from zero)
 * @param running whether its thread is live; a DEAD runnable waiting out its backoff is not
 * @param lastError the first line of the error of its last death, if it ever died
 */
public record RunnableInfo(
    DN dn, RunnableState state, int restarts, boolean running, Optional<String> lastError) {}

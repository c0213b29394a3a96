package dev.metropolis.osbase.supervisor;

import java.util.List;

/**
 * An external process run by {@link ProcessRunnable} exited when it should not have: with a
 * non-zero code, or at all when it is meant to run until cancelled.
 */
public final class ProcessExitException extends Exception {
  private static final long serialVersionUID = 1L;

  private final int exitCode;

  public ProcessExitException(List<String> command, int exitCode) {
    super(
        "\""
            + String.join(" ", command)
            + "\" "
            + (exitCode == 0
                ? "exited with code 0 but was meant to run until cancelled"
                : "exited with code " + exitCode));
    this.exitCode = exitCode;
  }

  /** The exit code; 128 + N when killed by signal N. */
  public int exitCode() {
    return exitCode;
  }
}

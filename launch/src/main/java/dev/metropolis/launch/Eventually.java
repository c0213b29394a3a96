package dev.metropolis.launch;

import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;

/**
 * Retries an end-to-end check every second until it passes or its time is up, printing {@code Test:
 * NAME: starting...} and {@code Test: NAME: okay after N.N seconds}; on timeout it fails with the
 * last error.
 */
public final class Eventually {
  /** A check: throws (anything) while the condition does not hold yet. */
  @FunctionalInterface
  public interface Check {
    void run() throws Exception;
  }

  /** Thrown by a check that can never pass: stops retrying at once. */
  public static final class Permanent extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public Permanent(String message) {
      super(message);
    }
  }

  private Eventually() {}

  public static void testEventual(String name, Duration timeout, Check check) {
    testEventual(System.out, name, timeout, check);
  }

  public static void testEventual(PrintStream out, String name, Duration timeout, Check check) {
    out.println("Test: " + name + ": starting...");
    Instant start = Instant.now();
    Instant deadline = start.plus(timeout);
    Throwable last = null;
    while (true) {
      try {
        check.run();
        out.printf(
            "Test: %s: okay after %.1f seconds%n",
            name, Duration.between(start, Instant.now()).toMillis() / 1000.0);
        return;
      } catch (Permanent p) {
        throw new AssertionError("Test: " + name + ": failed permanently: " + p.getMessage(), p);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("Test: " + name + ": interrupted", e);
      } catch (Exception | AssertionError e) {
        last = e;
      }
      if (Instant.now().isAfter(deadline)) {
        throw new AssertionError(
            "Test: " + name + ": not okay after " + timeout.toSeconds() + " s: " + last, last);
      }
      try {
        Thread.sleep(1000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("Test: " + name + ": interrupted", e);
      }
    }
  }
}

package dev.metropolis.metroctl.client;

import java.io.Console;
import java.util.List;
import java.util.Optional;

/** Asks the operator a question on the terminal. */
public interface Prompter {
  /**
   * Shows {@code lines}, then asks {@code question} and returns the answer, or empty if there is no
   * terminal to ask on.
   */
  Optional<String> ask(List<String> lines, String question);

  /**
   * The process's terminal, if it has one. Answers are never read from redirected input: an
   * unattended run must say so with a flag instead of piping a "yes".
   */
  Prompter TERMINAL =
      (lines, question) -> {
        // Null only when the JDK is told to have no console (jdk.console).
        Optional<Console> console =
            Optional.ofNullable(System.console()).filter(Console::isTerminal);
        if (console.isEmpty()) {
          return Optional.empty();
        }
        Console c = console.get();
        for (String l : lines) {
          c.printf("%s%n", l);
        }
        String answer = c.readLine("%s ", question);
        return Optional.of(answer == null ? "" : answer);
      };
}

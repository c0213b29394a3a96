package dev.metropolis.metroctl;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The metroctl command line: manages a Metropolis cluster through its APIs. */
@Command(
    name = "metroctl",
    mixinStandardHelpOptions = true,
    version = "metroctl 0.1.0",
    description = "Manage a Metropolis cluster through its authenticated APIs.")
public final class Metroctl implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "missing command");
  }

  public static void main(String[] args) {
    System.exit(new CommandLine(new Metroctl()).execute(args));
  }
}

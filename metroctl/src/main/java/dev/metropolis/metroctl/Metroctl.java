package dev.metropolis.metroctl;

import dev.metropolis.metroctl.client.ClusterClient;
import dev.metropolis.metroctl.client.ConfigDir;
import dev.metropolis.metroctl.client.Endpoint;
import dev.metropolis.metroctl.client.MetroctlException;
import dev.metropolis.metroctl.client.Prewarm;
import dev.metropolis.metroctl.client.Prompter;
import dev.metropolis.metroctl.client.RpcErrors;
import dev.metropolis.rpc.JdkTls;
import io.grpc.StatusRuntimeException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Consumer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;
import picocli.CommandLine.TypeConversionException;

/**
 * The metroctl command line: manages a Metropolis cluster through its APIs.
 *
 * <p>The global options live here and are inherited by every subcommand, which reads them through
 * {@link #of(CommandSpec)}. Exit codes: 0 success, 1 failure (one line {@code metroctl: error:
 * ...}, stack trace only with {@code --verbose}), 2 usage error (one line {@code metroctl: error:
 * ...} and where to find the usage).
 */
@Command(
    name = "metroctl",
    mixinStandardHelpOptions = true,
    version = "metroctl 0.1.0",
    description = "Manage a Metropolis cluster through its authenticated APIs.")
public final class Metroctl implements Runnable {
  /** Output format of listing commands. */
  public enum Format {
    plaintext,
    json
  }

  /** When the process started, near enough, for the timestamps of --verbose. */
  private static final long STARTED = System.nanoTime();

  @Spec CommandSpec spec;

  @Option(
      names = "--config",
      paramLabel = "DIR",
      scope = ScopeType.INHERIT,
      description =
          "Credential and configuration directory"
              + " (default: $XDG_CONFIG_HOME/metroctl, else ~/.config/metroctl).")
  Path config;

  @Option(
      names = "--endpoints",
      paramLabel = "HOST",
      split = ",",
      converter = EndpointConverter.class,
      scope = ScopeType.INHERIT,
      description =
          "Nodes to reach the cluster through, in order: addresses or names without a port"
              + " (the curator port 7835 is added); repeatable and comma-separated.")
  List<Endpoint> endpoints = new ArrayList<>();

  @Option(
      names = "--proxy",
      paramLabel = "HOST:PORT",
      converter = ProxyConverter.class,
      scope = ScopeType.INHERIT,
      description = "SOCKS5 proxy (no authentication) to make every connection through.")
  Endpoint proxy;

  @Option(
      names = "--verbose",
      scope = ScopeType.INHERIT,
      description = "Log connection steps, and show stack traces of errors.")
  boolean verbose;

  @Option(
      names = "--format",
      paramLabel = "FORMAT",
      defaultValue = "plaintext",
      scope = ScopeType.INHERIT,
      description =
          "Output format of listings: ${COMPLETION-CANDIDATES} (default: ${DEFAULT-VALUE}).")
  Format format = Format.plaintext;

  @Option(
      names = "--insecure-accept-and-persist-first-encountered-ca",
      scope = ScopeType.INHERIT,
      description =
          "Trust the cluster CA seen on first contact without asking, and pin it. Only for"
              + " automation on networks you trust.")
  boolean acceptFirstCa;

  private final Io io;

  /** Where a run reads and writes: the process's streams and environment, or a test's. */
  public record Io(
      PrintWriter out, PrintWriter err, Prompter prompter, Map<String, String> env, String home) {
    /** The process's own. */
    public static Io system() {
      return new Io(
          new PrintWriter(System.out, false, System.out.charset()),
          new PrintWriter(System.err, true, System.err.charset()),
          Prompter.TERMINAL,
          System.getenv(),
          System.getProperty("user.home"));
    }
  }

  public Metroctl(Io io) {
    this.io = io;
  }

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "Missing command");
  }

  /** The root command of the command that {@code spec} describes. */
  static Metroctl of(CommandSpec spec) {
    return (Metroctl) spec.root().userObject();
  }

  Io io() {
    return io;
  }

  Format format() {
    return format;
  }

  ConfigDir configDir() {
    return new ConfigDir(config != null ? config : ConfigDir.defaultPath(io.env(), io.home()));
  }

  Optional<Endpoint> proxy() {
    return Optional.ofNullable(proxy);
  }

  List<Endpoint> endpoints() {
    return List.copyOf(endpoints);
  }

  /**
   * A client for the global options.
   *
   * @throws CommandLine.ParameterException if no endpoint was given
   */
  ClusterClient client(CommandSpec command) {
    if (endpoints.isEmpty()) {
      throw new CommandLine.ParameterException(
          command.commandLine(), "Missing --endpoints: name at least one node of the cluster");
    }
    Consumer<String> log =
        verbose
            ? line ->
                io.err().printf("metroctl: [%.3fs] %s%n", (System.nanoTime() - STARTED) / 1e9, line)
            : line -> {};
    return new ClusterClient(
        new ClusterClient.Options(
            configDir(), endpoints, Optional.ofNullable(proxy), acceptFirstCa, io.prompter(), log));
  }

  /** Runs metroctl with {@code args} and returns the exit code. */
  public static int execute(String[] args, Io io) {
    Metroctl root = new Metroctl(io);
    CommandLine cl = new CommandLine(root);
    CommandTree.attach(cl, CommandTree.ROOT, args);
    cl.setOut(io.out());
    cl.setErr(io.err());
    cl.setCaseInsensitiveEnumValuesAllowed(true);
    // One error line, then a pointer to the help, rather than the whole usage text: the error is
    // what the operator needs to see, and the usage of a nested command can be long.
    cl.setParameterExceptionHandler((ex, cmdArgs) -> {
      io.out().flush();
      io.err().println("metroctl: error: " + RpcErrors.oneLine(String.valueOf(ex.getMessage())));
      io.err()
          .println(
              "Run '"
                  + ex.getCommandLine().getCommandSpec().qualifiedName()
                  + " --help' for usage.");
      if (root.verbose) {
        ex.printStackTrace(io.err());
      }
      io.err().flush();
      return 2;
    });
    cl.setExecutionExceptionHandler((ex, command, parseResult) -> {
      String message =
          switch (ex) {
            case MetroctlException e -> e.getMessage();
            case StatusRuntimeException e -> RpcErrors.describe(e);
            default ->
                ex + (root.verbose ? "" : " (this is a bug in metroctl; --verbose shows where)");
          };
      io.out().flush();
      io.err().println("metroctl: error: " + RpcErrors.oneLine(message));
      if (root.verbose) {
        ex.printStackTrace(io.err());
      }
      io.err().flush();
      return 1;
    });
    int code = cl.execute(args);
    if (root.verbose) {
      io.err().printf("metroctl: [%.3fs] exit %d%n", (System.nanoTime() - STARTED) / 1e9, code);
    }
    io.out().flush();
    io.err().flush();
    return code;
  }

  private static final String NETTY_ALLOCATOR = "io.netty.allocator.type";

  public static void main(String[] args) {
    JdkTls.offerX25519Only(); // see there: a cold JVM's handshake without a P-256 key share
    // metroctl verifies servers with its own trust managers only, yet each JDK SSLContext reads
    // the default trust store (cacerts, ~150 certificates) when it initialises: tens of
    // milliseconds each, three times over. An empty store is enough; a store the user names wins.
    if (System.getProperty("javax.net.ssl.trustStore") == null) {
      System.setProperty("javax.net.ssl.trustStore", "NONE");
    }
    // A command makes a few calls and exits: Netty's pooled (adaptive) allocator only costs
    // start-up time here, setting up arenas and their JFR events.
    if (System.getProperty(NETTY_ALLOCATOR) == null) {
      System.setProperty(NETTY_ALLOCATOR, "unpooled");
    }
    Prewarm.start();
    System.exit(execute(args, Io.system()));
  }

  /** {@code --endpoints} items: host, host:port, [v6]:port or a bare IPv6 address. */
  public static final class EndpointConverter implements ITypeConverter<Endpoint> {
    @Override
    public Endpoint convert(String value) {
      try {
        return Endpoint.parse(value);
      } catch (IllegalArgumentException e) {
        throw new TypeConversionException(e.getMessage());
      }
    }
  }

  /** {@code --proxy}: host:port, port required. */
  public static final class ProxyConverter implements ITypeConverter<Endpoint> {
    @Override
    public Endpoint convert(String value) {
      try {
        return Endpoint.parseWithPort(value);
      } catch (IllegalArgumentException e) {
        throw new TypeConversionException(e.getMessage());
      }
    }
  }
}

package dev.metropolis.nanoswitch;

import dev.metropolis.osbase.net.Ipv4;
import dev.metropolis.osbase.net.Ipv4Prefix;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * The nanoswitch process. It runs in the host namespace; see {@link Nanoswitch} for what it serves
 * where.
 */
@Command(
    name = "metropolis-nanoswitch",
    mixinStandardHelpOptions = true,
    description = {
      "Serves a hosted cluster network: DHCP on the bridge in the switch namespace, and a SOCKS5"
          + " proxy on the host that connects into it (only to host addresses of the network).",
      "The switch namespace, its bridge with the router address, and the nodes' veths must exist."
    })
public final class Main implements Callable<Integer> {
  // UTC, like the nodes' log lines, so the launcher's interleaved output lines up.
  private static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("MMdd HH:mm:ss.SSS").withZone(ZoneOffset.UTC);

  @Spec CommandSpec spec;

  @Option(
      names = "--switch-netns",
      required = true,
      paramLabel = "PATH",
      description = "The switch network namespace, e.g. /run/netns/mj-sw.")
  Path switchNetns;

  @Option(
      names = "--interface",
      defaultValue = "br0",
      paramLabel = "IFACE",
      description = "The bridge in the switch namespace (default ${DEFAULT-VALUE}).")
  String iface;

  @Option(
      names = "--router",
      defaultValue = "10.1.0.1/24",
      paramLabel = "ADDR/LEN",
      converter = PrefixConverter.class,
      description =
          "The bridge's address and the cluster network (default ${DEFAULT-VALUE}): DHCP server"
              + " identifier, router and mask; SOCKS allows only this network's host addresses.")
  Ipv4Prefix router;

  @Option(
      names = "--dhcp-start",
      defaultValue = "10.1.0.2",
      paramLabel = "ADDR",
      converter = AddressConverter.class,
      description = "The first address handed out (default ${DEFAULT-VALUE}).")
  Inet4Address dhcpStart;

  @Option(
      names = "--lease",
      defaultValue = "30s",
      paramLabel = "DURATION",
      converter = DurationConverter.class,
      description = "DHCP lease time, e.g. 30s, 5m (default ${DEFAULT-VALUE}).")
  Duration lease;

  @Option(
      names = "--dns",
      paramLabel = "ADDR",
      converter = AddressConverter.class,
      description = "A DNS server to announce over DHCP (repeatable; default none).")
  List<Inet4Address> dns = new ArrayList<>();

  @Option(
      names = "--socks-listen",
      defaultValue = "127.0.0.1:0",
      paramLabel = "ADDR:PORT",
      converter = ListenConverter.class,
      description = "Where the SOCKS5 proxy listens, on the host (default ${DEFAULT-VALUE}).")
  InetSocketAddress socksListen;

  @Option(
      names = "--port-file",
      paramLabel = "FILE",
      description = "Write the SOCKS5 port here (atomically) once listening.")
  Path portFile;

  private final PrintStream err;

  public Main() {
    this(System.err);
  }

  Main(PrintStream err) {
    this.err = err;
  }

  @Override
  public Integer call() throws Exception {
    Nanoswitch sw;
    try {
      sw = start();
    } catch (IOException e) {
      err.println("metropolis-nanoswitch: " + e.getMessage());
      return 1;
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  // SIGTERM/SIGINT: stop serving and release the ports before the JVM exits.
                  try {
                    sw.close();
                    log("stopped");
                  } catch (IOException e) {
                    log("stopping: " + e.getMessage());
                  }
                  stopped.countDown();
                },
                "nanoswitch shutdown"));
    stopped.await();
    return 0;
  }

  /** Validates the flags, starts serving and writes the port file. */
  Nanoswitch start() throws IOException, InterruptedException {
    if (!router.containsHost(router.address())) {
      throw new ParameterException(
          spec.commandLine(), "--router " + router + ": not a host address of its network");
    }
    if (!router.containsHost(dhcpStart) || dhcpStart.equals(router.address())) {
      throw new ParameterException(
          spec.commandLine(),
          "--dhcp-start "
              + dhcpStart.getHostAddress()
              + ": must be a host address of "
              + router
              + " other than the router");
    }
    if (lease.toSeconds() < 2) {
      throw new ParameterException(spec.commandLine(), "--lease " + lease + ": at least 2s");
    }
    Nanoswitch sw =
        Nanoswitch.start(
            new Nanoswitch.Config(switchNetns, iface, router, dhcpStart, lease, dns, socksListen),
            this::log);
    try {
      int port = sw.socksAddress().getPort();
      if (portFile != null) {
        writeAtomically(portFile, port + "\n");
      }
      log(
          "serving: DHCP on "
              + iface
              + " in "
              + switchNetns
              + " ("
              + router
              + ", from "
              + dhcpStart.getHostAddress()
              + ", lease "
              + lease.toSeconds()
              + "s); SOCKS5 on "
              + sw.socksAddress().getAddress().getHostAddress()
              + ":"
              + port);
      return sw;
    } catch (IOException | RuntimeException e) {
      sw.close();
      throw e;
    }
  }

  private void log(String line) {
    err.println(TIME.format(Instant.now()) + " " + line);
  }

  /** Readers see either no file or the whole port, never a partial write. */
  static void writeAtomically(Path file, String content) throws IOException {
    Path abs = file.toAbsolutePath();
    Path tmp = abs.resolveSibling("." + abs.getFileName() + ".tmp");
    Files.writeString(tmp, content, StandardCharsets.US_ASCII);
    Files.move(tmp, abs, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
  }

  static final class PrefixConverter implements ITypeConverter<Ipv4Prefix> {
    @Override
    public Ipv4Prefix convert(String value) {
      return Ipv4Prefix.parse(value);
    }
  }

  static final class AddressConverter implements ITypeConverter<Inet4Address> {
    @Override
    public Inet4Address convert(String value) {
      return Ipv4.parse(value);
    }
  }

  /** {@code ADDR:PORT} with a literal IPv4 address: no name lookups at startup. */
  static final class ListenConverter implements ITypeConverter<InetSocketAddress> {
    @Override
    public InetSocketAddress convert(String value) {
      int colon = value.lastIndexOf(':');
      if (colon < 0) {
        throw new IllegalArgumentException("expected ADDR:PORT, e.g. 127.0.0.1:1080");
      }
      InetAddress addr = Ipv4.parse(value.substring(0, colon));
      int port;
      try {
        port = Integer.parseInt(value.substring(colon + 1));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("port is not a number: " + value, e);
      }
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("port out of range: " + port);
      }
      return new InetSocketAddress(addr, port);
    }
  }

  /** {@code 30s}, {@code 500ms}, {@code 5m}, {@code 1h}, or ISO-8601 ({@code PT30S}). */
  static final class DurationConverter implements ITypeConverter<Duration> {
    @Override
    public Duration convert(String value) {
      String v = value.strip().toLowerCase(Locale.ROOT);
      try {
        if (v.startsWith("pt")) {
          return Duration.parse(v);
        }
        if (v.endsWith("ms")) {
          return Duration.ofMillis(Long.parseLong(v.substring(0, v.length() - 2)));
        }
        long n = Long.parseLong(v.substring(0, v.length() - 1));
        return switch (v.charAt(v.length() - 1)) {
          case 's' -> Duration.ofSeconds(n);
          case 'm' -> Duration.ofMinutes(n);
          case 'h' -> Duration.ofHours(n);
          default -> throw new IllegalArgumentException();
        };
      } catch (RuntimeException e) {
        throw new IllegalArgumentException(
            "not a duration (e.g. 30s, 500ms, 5m, 1h): \"" + value + "\"", e);
      }
    }
  }

  static int run(PrintStream err, String... args) {
    PrintWriter w = new PrintWriter(err, true, StandardCharsets.UTF_8);
    return new CommandLine(new Main(err)).setErr(w).execute(args);
  }

  public static void main(String[] args) {
    System.exit(run(System.err, args));
  }
}

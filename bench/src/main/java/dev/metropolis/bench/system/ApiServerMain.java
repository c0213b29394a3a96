package dev.metropolis.bench.system;

import dev.metropolis.kubernetes.apiserver.ApiServer;
import dev.metropolis.kubernetes.apiserver.ApiServerConfig;
import dev.metropolis.osbase.pki.Pem;
import io.etcd.jetcd.Client;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Set;

/**
 * The API server as its own process, for {@link ApiServerBench}: {@code ApiServerMain ETCD_ENDPOINT
 * DIR} serves on a free loopback port with {@code DIR/ca.pem}, {@code DIR/server.pem} and {@code
 * DIR/server-key.pem}, prints {@code port N} on stdout and stops when stdin closes (so it never
 * outlives the benchmark).
 */
public final class ApiServerMain {
  private ApiServerMain() {}

  public static void main(String[] argv) throws Exception {
    if (argv.length != 2) {
      System.err.println("usage: ApiServerMain ETCD_ENDPOINT DIR");
      System.exit(2);
    }
    Path dir = Path.of(argv[1]);
    try (Client etcd = Client.builder().endpoints(argv[0]).build();
        ApiServer server =
            ApiServer.start(
                new ApiServerConfig(
                    etcd,
                    "/registry",
                    Pem.decodeCertificate(Files.readString(dir.resolve("ca.pem"))),
                    Pem.decodeCertificate(Files.readString(dir.resolve("server.pem"))),
                    Pem.decodePrivateKey(Files.readString(dir.resolve("server-key.pem"))),
                    new InetSocketAddress(InetAddress.getLoopbackAddress(), 0),
                    Set.of("owner"),
                    Clock.systemUTC()))) {
      System.out.println("port " + server.address().getPort());
      System.out.flush();
      while (System.in.read() >= 0) {
        // wait for the benchmark to close our stdin
      }
    }
  }
}

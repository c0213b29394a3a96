package dev.metropolis.launch.cli;

import dev.metropolis.launch.Aot;
import dev.metropolis.launch.Directories;
import dev.metropolis.launch.LocalCluster;
import dev.metropolis.launch.NodeParametersFiles;
import dev.metropolis.launch.NodeProcess;
import dev.metropolis.launch.UserNamespace;
import dev.metropolis.launch.VirtualNetwork;
import dev.metropolis.rpc.JdkTls;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import picocli.CommandLine;

/**
 * Trains the AOT caches of launch-cluster's JVMs with a real, short launch: a two-node cluster
 * (node 0 bootstraps, node 1 registers and is approved) in a virtual network of its own as root, on
 * loopback otherwise, every JVM of a kind recording what it loads; then the caches are assembled
 * beside their jars. {@code ./metropolis} runs this when a cache is missing or older than its jar,
 * under record mode itself so that the launcher gets a cache too.
 *
 * <p>Usage: {@code java -cp metropolis-launch.jar dev.metropolis.launch.cli.AotTraining}, with
 * {@code -Dmetropolis.root} naming the source tree. Output on stderr; exit 1 on failure.
 */
public final class AotTraining {
  private AotTraining() {}

  public static void main(String[] args) throws Exception {
    JdkTls.offerX25519Only();
    Path root = Path.of(System.getProperty("metropolis.root", ".")).toAbsolutePath().normalize();
    Path nodeJar = root.resolve("node/target/metropolis-node.jar");
    Path nanoswitchJar = root.resolve("nanoswitch/target/metropolis-nanoswitch.jar");
    // What launch-cluster's own start loads before any cluster exists: its command line.
    new CommandLine(new LaunchCluster())
        .usage(new PrintStream(OutputStream.nullOutputStream(), false, StandardCharsets.UTF_8));
    Path dir = Files.createTempDirectory("metropolis-aot-");
    try {
      Aot aot = Aot.training(dir.resolve("aot"));
      VirtualNetwork net = null;
      if (UserNamespace.isRoot()) {
        net = VirtualNetwork.create(dir, nanoswitchJar, aot);
      }
      LocalCluster.Options o =
          new LocalCluster.Options(
              2,
              NodeParametersFiles.testConfiguration("cluster.internal"),
              Set.of(),
              Set.of(),
              NodeProcess.Jvm.DEFAULT_RAM_MIB,
              aot);
      try (LocalCluster c = LocalCluster.launch(nodeJar, o, net, msg -> {})) {
        c.nodeId(1);
      }
      List<Path> made = aot.createCaches();
      for (Path p : made) {
        System.err.println("made " + p);
      }
      if (made.isEmpty()) {
        System.err.println("no AOT cache could be made; see " + dir);
        System.exit(1);
      }
    } finally {
      Directories.deleteTree(dir);
    }
  }
}

package dev.metropolis.launch;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * JDK AOT caches (JEP 483) for the JVMs a launch starts: each cache sits beside its jar ({@code
 * <name>.aot}) and is used only while it is newer than the jar. Node and nanoswitch JVMs spend most
 * of their first seconds loading and linking gRPC, Netty, TLS and protobuf classes; with a cache
 * trained by a real run they map them instead.
 *
 * <p>Either {@link #USE} (take fresh caches when present) or a training run ({@link #training}),
 * which starts every JVM in record mode and afterwards {@link #createCaches() creates} the caches
 * with the very flags and class path that were recorded.
 */
public final class Aot {
  /** Use the caches beside the jars when they are fresh; start without them otherwise. */
  public static final Aot USE = new Aot(Optional.empty());

  /** The JVM command of each recorded run by cache name: flags and jar, without the AOT flags. */
  private final Map<String, Recorded> recorded = new ConcurrentHashMap<>();

  private final Optional<Path> trainingDir;

  private record Recorded(Path jar, List<String> flags) {}

  private Aot(Optional<Path> trainingDir) {
    this.trainingDir = trainingDir;
  }

  /** A training run that keeps its recorded configurations in {@code dir}. */
  public static Aot training(Path dir) throws IOException {
    return new Aot(Optional.of(Files.createDirectories(dir)));
  }

  /** The cache file of {@code name} beside {@code jar}. */
  public static Path cache(Path jar, String name) {
    return jar.resolveSibling(name + ".aot");
  }

  /** Whether {@code name}'s cache exists and is newer than {@code jar}. */
  public static boolean fresh(Path jar, String name) {
    Path c = cache(jar, name);
    try {
      return Files.exists(c)
          && Files.getLastModifiedTime(c).compareTo(Files.getLastModifiedTime(jar)) > 0;
    } catch (IOException e) {
      return false;
    }
  }

  /**
   * The AOT flags for a JVM that runs {@code jar} with {@code flags} under cache {@code name}: the
   * fresh cache, nothing, or (training) record mode.
   */
  public List<String> flags(Path jar, String name, List<String> flags) {
    if (trainingDir.isEmpty()) {
      return fresh(jar, name) ? List.of("-XX:AOTCache=" + cache(jar, name)) : List.of();
    }
    // One recording per cache: the first JVM of a kind is the one trained on.
    if (recorded.putIfAbsent(name, new Recorded(jar, List.copyOf(flags))) != null) {
      return List.of();
    }
    return List.of("-XX:AOTMode=record", "-XX:AOTConfiguration=" + configuration(name));
  }

  private Path configuration(String name) {
    return trainingDir.orElseThrow().resolve(name + ".aotconf");
  }

  /**
   * Assembles a cache from every configuration recorded so far (the JVMs must have exited), all at
   * once, each replacing its old cache atomically. Returns the caches made.
   */
  public List<Path> createCaches() throws IOException, InterruptedException {
    List<Process> running = new ArrayList<>();
    List<Path> made = new ArrayList<>();
    for (var e : recorded.entrySet()) {
      Path conf = configuration(e.getKey());
      if (!Files.exists(conf) || Files.size(conf) == 0) {
        continue;
      }
      Path out = cache(e.getValue().jar(), e.getKey());
      Path tmp = out.resolveSibling(out.getFileName() + ".tmp");
      List<String> cmd = new ArrayList<>();
      cmd.add(NodeProcess.javaBinary());
      cmd.addAll(e.getValue().flags());
      cmd.addAll(
          List.of(
              "-XX:AOTMode=create",
              "-XX:AOTConfiguration=" + conf,
              "-XX:AOTCache=" + tmp,
              "-jar",
              e.getValue().jar().toString()));
      running.add(
          new ProcessBuilder(cmd)
              .redirectErrorStream(true)
              .redirectOutput(
                  trainingDir.orElseThrow().resolve(e.getKey() + ".create.log").toFile())
              .start());
      made.add(out);
    }
    List<Path> done = new ArrayList<>();
    for (int i = 0; i < running.size(); i++) {
      Process p = running.get(i);
      Path out = made.get(i);
      Path tmp = out.resolveSibling(out.getFileName() + ".tmp");
      if (!p.waitFor(120, TimeUnit.SECONDS)) {
        p.destroyForcibly().waitFor();
      }
      if (p.exitValue() == 0 && Files.exists(tmp)) {
        Files.move(tmp, out, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        done.add(out);
      } else {
        Files.deleteIfExists(tmp);
      }
    }
    return done;
  }
}

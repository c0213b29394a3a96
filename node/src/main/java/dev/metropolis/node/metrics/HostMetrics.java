package dev.metropolis.node.metrics;

import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Host metrics under node_exporter's names ({@code /metrics/node}), read from {@code /proc} on each
 * scrape: uname, CPU time, memory, filesystems and network devices. A hosted node in its own
 * network namespace sees that namespace's devices, which is what its address lives on.
 */
public final class HostMetrics {
  /** USER_HZ: the unit of /proc/stat on every Linux architecture we run on. */
  private static final double USER_HZ = 100.0;

  private static final String[] CPU_MODES = {
    "user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal"
  };

  /** Pseudo and read-only image filesystems node_exporter leaves out by default. */
  private static final Set<String> IGNORED_FS =
      Set.of(
          "autofs",
          "binfmt_misc",
          "bpf",
          "cgroup",
          "cgroup2",
          "configfs",
          "debugfs",
          "devpts",
          "devtmpfs",
          "fusectl",
          "hugetlbfs",
          "iso9660",
          "mqueue",
          "nsfs",
          "overlay",
          "proc",
          "procfs",
          "pstore",
          "rpc_pipefs",
          "securityfs",
          "selinuxfs",
          "squashfs",
          "sysfs",
          "tracefs");

  private final Path proc;

  public HostMetrics() {
    this(Path.of("/proc"));
  }

  HostMetrics(Path proc) {
    this.proc = proc;
  }

  public String render() throws IOException {
    Exposition out = new Exposition();
    uname(out);
    cpu(out);
    memory(out);
    filesystems(out);
    network(out);
    load(out);
    return out.toString();
  }

  private String kernel(String name) throws IOException {
    Path p = proc.resolve("sys/kernel").resolve(name);
    return Files.exists(p) ? Files.readString(p).strip() : "";
  }

  private void uname(Exposition out) throws IOException {
    Map<String, String> l = new LinkedHashMap<>();
    l.put("sysname", kernel("ostype"));
    l.put("release", kernel("osrelease"));
    l.put("version", kernel("version"));
    l.put("machine", machine());
    l.put("nodename", kernel("hostname"));
    l.put("domainname", kernel("domainname"));
    out.family("node_uname_info", "gauge", "Labeled system information as provided by uname.");
    out.sample("node_uname_info", l, 1);
  }

  private static String machine() {
    String arch = System.getProperty("os.arch");
    return switch (arch) {
      case "amd64" -> "x86_64";
      case "arm64" -> "aarch64";
      default -> arch;
    };
  }

  private void cpu(Exposition out) throws IOException {
    out.family("node_cpu_seconds_total", "counter", "Seconds the CPUs spent in each mode.");
    for (String line : Files.readAllLines(proc.resolve("stat"))) {
      if (!line.startsWith("cpu") || line.startsWith("cpu ")) {
        continue;
      }
      String[] f = line.trim().split("\\s+", -1);
      String cpu = f[0].substring(3);
      for (int i = 0; i < CPU_MODES.length && i + 1 < f.length; i++) {
        Map<String, String> l = new LinkedHashMap<>();
        l.put("cpu", cpu);
        l.put("mode", CPU_MODES[i]);
        out.sample("node_cpu_seconds_total", l, Long.parseLong(f[i + 1]) / USER_HZ);
      }
    }
  }

  private void memory(Exposition out) throws IOException {
    for (String line : Files.readAllLines(proc.resolve("meminfo"))) {
      int colon = line.indexOf(':');
      if (colon < 0) {
        continue;
      }
      String[] v = line.substring(colon + 1).trim().split("\\s+", -1);
      boolean kb = v.length > 1 && v[1].equals("kB");
      double value = Double.parseDouble(v[0]) * (kb ? 1024 : 1);
      // node_exporter's names: "Active(anon)" becomes "Active_anon", and only fields given in kB
      // are bytes (HugePages_Total is a count).
      String key =
          line.substring(0, colon).replace("(", "_").replace(")", "") + (kb ? "_bytes" : "");
      String name = "node_memory_" + key;
      out.family(name, "gauge", "Memory information field " + key + ".");
      out.sample(name, value);
    }
  }

  /** One mounted filesystem from /proc/self/mounts. */
  record Mount(String device, String mountpoint, String fstype) {}

  List<Mount> mounts() throws IOException {
    Map<String, Mount> byPoint = new TreeMap<>();
    for (String line : Files.readAllLines(proc.resolve("self/mounts"))) {
      String[] f = line.split(" ", -1);
      if (f.length < 3 || IGNORED_FS.contains(f[2])) {
        continue;
      }
      Mount m = new Mount(unescape(f[0]), unescape(f[1]), f[2]);
      byPoint.put(m.mountpoint(), m);
    }
    return new ArrayList<>(byPoint.values());
  }

  // /proc/mounts writes space, tab, newline and backslash as three-digit octal escapes.
  static String unescape(String s) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '\\' && i + 3 < s.length() && s.substring(i + 1, i + 4).matches("[0-7]{3}")) {
        sb.append((char) Integer.parseInt(s.substring(i + 1, i + 4), 8));
        i += 3;
      } else {
        sb.append(c);
      }
    }
    return sb.toString();
  }

  private void filesystems(Exposition out) throws IOException {
    record Sizes(Mount m, long size, long avail, long free) {}
    List<Sizes> all = new ArrayList<>();
    for (Mount m : mounts()) {
      try {
        FileStore fs = Files.getFileStore(Path.of(m.mountpoint()));
        all.add(new Sizes(m, fs.getTotalSpace(), fs.getUsableSpace(), fs.getUnallocatedSpace()));
      } catch (IOException | SecurityException e) {
        // Gone since it was listed, or not ours to stat: node_exporter skips these too.
      }
    }
    String[][] families = {
      {"node_filesystem_size_bytes", "Filesystem size in bytes."},
      {"node_filesystem_avail_bytes", "Filesystem space available to non-root users in bytes."},
      {"node_filesystem_free_bytes", "Filesystem free space in bytes."}
    };
    for (int k = 0; k < families.length; k++) {
      out.family(families[k][0], "gauge", families[k][1]);
      for (Sizes s : all) {
        Map<String, String> l = new LinkedHashMap<>();
        l.put("device", s.m().device());
        l.put("fstype", s.m().fstype());
        l.put("mountpoint", s.m().mountpoint());
        long v = k == 0 ? s.size() : k == 1 ? s.avail() : s.free();
        out.sample(families[k][0], l, v);
      }
    }
  }

  private void network(Exposition out) throws IOException {
    // Columns after "iface:": 8 receive fields, then 8 transmit fields.
    record Dev(String name, List<Long> v) {}
    List<Dev> devs = new ArrayList<>();
    for (String line : Files.readAllLines(proc.resolve("net/dev"))) {
      int colon = line.indexOf(':');
      if (colon < 0) {
        continue;
      }
      String[] f = line.substring(colon + 1).trim().split("\\s+", -1);
      List<Long> v = new ArrayList<>();
      for (String x : f) {
        v.add(Long.parseLong(x));
      }
      devs.add(new Dev(line.substring(0, colon).trim(), v));
    }
    String[][] families = {
      {"node_network_receive_bytes_total", "0", "Network device statistic receive_bytes."},
      {"node_network_receive_packets_total", "1", "Network device statistic receive_packets."},
      {"node_network_transmit_bytes_total", "8", "Network device statistic transmit_bytes."},
      {"node_network_transmit_packets_total", "9", "Network device statistic transmit_packets."}
    };
    for (String[] fam : families) {
      out.family(fam[0], "counter", fam[2]);
      int col = Integer.parseInt(fam[1]);
      for (Dev d : devs) {
        if (col < d.v().size()) {
          out.sample(fam[0], Map.of("device", d.name()), (long) d.v().get(col));
        }
      }
    }
  }

  private void load(Exposition out) throws IOException {
    String[] f = Files.readString(proc.resolve("loadavg")).trim().split("\\s+", -1);
    String[] names = {"node_load1", "node_load5", "node_load15"};
    for (int i = 0; i < names.length; i++) {
      out.family(names[i], "gauge", (i == 0 ? "1" : i == 1 ? "5" : "15") + "m load average.");
      out.sample(names[i], Double.parseDouble(f[i]));
    }
  }
}

package dev.metropolis.metroctl.output;

import dev.metropolis.api.common.ClusterConfiguration;
import dev.metropolis.metroctl.ConfigKey;
import java.util.LinkedHashMap;
import java.util.Map;

/** How {@code cluster configure get} prints configuration fields. */
public final class ConfigView {
  public static final String KEY = "key";
  public static final String VALUE = "value";

  private ConfigView() {}

  /** Every field: its key and its quoted value(s). */
  public static SparseTable table(ClusterConfiguration c) {
    SparseTable t = new SparseTable();
    for (ConfigKey k : ConfigKey.values()) {
      Map<String, String> row = new LinkedHashMap<>();
      row.put(KEY, k.path());
      row.put(VALUE, k.show(c));
      t.add(row);
    }
    return t;
  }

  /** One field as JSON: a list value for list fields, a string otherwise. */
  public static String json(ConfigKey k, ClusterConfiguration c) {
    Json j = new Json().field(KEY, k.path());
    var values = k.values(c);
    return (k.isList() ? j.field(VALUE, values) : j.field(VALUE, values.getFirst())).toString();
  }
}

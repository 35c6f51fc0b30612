// Decoding and encoding helpers for generated code (not exported).

Never _bad(String field, String expected, Object? got) =>
    throw FormatException('`$field`: expected $expected, got '
        '${got == null ? 'null' : got is String ? '"$got"' : got}');

Map<String, dynamic> readObject(Object? json, String what) {
  if (json is Map<String, dynamic>) return json;
  _bad(what, 'a JSON object', json);
}

List<dynamic> readArray(Object? json, String what) {
  if (json is List<dynamic>) return json;
  _bad(what, 'a JSON array', json);
}

int readInt(Map<String, dynamic> j, String f) {
  final v = j[f];
  if (v is int) return v;
  if (v is double && v == v.truncateToDouble() && v.isFinite) return v.toInt();
  _bad(f, 'an integer', v);
}

int? readIntOrNull(Map<String, dynamic> j, String f) => j[f] == null ? null : readInt(j, f);

double readDouble(Map<String, dynamic> j, String f) {
  final v = j[f];
  if (v is num) return v.toDouble();
  _bad(f, 'a number', v);
}

double? readDoubleOrNull(Map<String, dynamic> j, String f) =>
    j[f] == null ? null : readDouble(j, f);

bool readBool(Map<String, dynamic> j, String f) {
  final v = j[f];
  if (v is bool) return v;
  _bad(f, 'a boolean', v);
}

bool? readBoolOrNull(Map<String, dynamic> j, String f) => j[f] == null ? null : readBool(j, f);

String readString(Map<String, dynamic> j, String f) {
  final v = j[f];
  if (v is String) return v;
  _bad(f, 'a string', v);
}

String? readStringOrNull(Map<String, dynamic> j, String f) =>
    j[f] == null ? null : readString(j, f);

DateTime readDateTime(Map<String, dynamic> j, String f) {
  final v = j[f];
  if (v is String) {
    try {
      return parseDateTime(v);
    } on FormatException {
      _bad(f, 'an RFC 3339 date-time', v);
    }
  }
  _bad(f, 'an RFC 3339 date-time', v);
}

DateTime? readDateTimeOrNull(Map<String, dynamic> j, String f) =>
    j[f] == null ? null : readDateTime(j, f);

DateTime readDate(Map<String, dynamic> j, String f) {
  final v = j[f];
  if (v is String) {
    try {
      return parseDate(v);
    } on FormatException {
      _bad(f, 'a date (YYYY-MM-DD)', v);
    }
  }
  _bad(f, 'a date (YYYY-MM-DD)', v);
}

DateTime? readDateOrNull(Map<String, dynamic> j, String f) => j[f] == null ? null : readDate(j, f);

T readEnum<T>(Map<String, dynamic> j, String f, T Function(String) fromWire) {
  final v = j[f];
  if (v is String) {
    try {
      return fromWire(v);
    } on FormatException {
      _bad(f, 'a known ${T.toString()} value', v);
    }
  }
  _bad(f, 'a ${T.toString()} string', v);
}

T? readEnumOrNull<T>(Map<String, dynamic> j, String f, T Function(String) fromWire) =>
    j[f] == null ? null : readEnum<T>(j, f, fromWire);

/// RFC 3339 in UTC with up to microseconds: `2025-01-31T12:00:00.123456Z`.
String formatDateTime(DateTime d) => d.toUtc().toIso8601String();

String? formatDateTimeOrNull(DateTime? d) => d == null ? null : formatDateTime(d);

/// Any RFC 3339 date-time → UTC [DateTime].
DateTime parseDateTime(String s) {
  if (!RegExp(r'^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:?\d{2})$')
      .hasMatch(s)) {
    throw FormatException('not an RFC 3339 date-time', s);
  }
  return DateTime.parse(s).toUtc();
}

/// `YYYY-MM-DD` from the date's own year, month and day (no time zone
/// conversion, so `DateTime(2025, 1, 31)` is `2025-01-31` anywhere).
String formatDate(DateTime d) =>
    '${d.year.toString().padLeft(4, '0')}-${d.month.toString().padLeft(2, '0')}-'
    '${d.day.toString().padLeft(2, '0')}';

String? formatDateOrNull(DateTime? d) => d == null ? null : formatDate(d);

/// `YYYY-MM-DD` → midnight UTC of that day.
DateTime parseDate(String s) {
  final m = RegExp(r'^(\d{4})-(\d{2})-(\d{2})$').firstMatch(s);
  if (m == null) throw FormatException('not a date (YYYY-MM-DD)', s);
  final d = DateTime.utc(int.parse(m.group(1)!), int.parse(m.group(2)!), int.parse(m.group(3)!));
  if (d.month != int.parse(m.group(2)!) || d.day != int.parse(m.group(3)!)) {
    throw FormatException('no such date', s);
  }
  return d;
}

String encodeInt(int v) => '$v';
String encodeDouble(double v) => v.isFinite ? '$v' : throw ArgumentError.value(v, 'value', 'not finite');
String encodeBool(bool v) => v ? 'true' : 'false';
String encodeString(String v) => v;

bool listEquals<T>(List<T> a, List<T> b) {
  if (identical(a, b)) return true;
  if (a.length != b.length) return false;
  for (var i = 0; i < a.length; i++) {
    if (a[i] != b[i]) return false;
  }
  return true;
}

/// The wire value of enum field [f] when [tryFromWire] does not know it
/// (the model then holds the enum's `unknown`); null otherwise.
String? unknownWire<T>(Map<String, dynamic> j, String f, T? Function(String) tryFromWire) {
  final v = j[f];
  return v is String && tryFromWire(v) == null ? v : null;
}

/// The fields of [j] not in [known] (sent by a newer server), as read.
Map<String, dynamic> extraFields(Map<String, dynamic> j, Set<String> known) {
  if (j.keys.every(known.contains)) return const <String, dynamic>{};
  return Map<String, dynamic>.unmodifiable(<String, dynamic>{
    for (final e in j.entries)
      if (!known.contains(e.key)) e.key: e.value,
  });
}

/// Deep equality of decoded JSON values (maps, lists, scalars).
bool jsonEquals(Object? a, Object? b) {
  if (identical(a, b)) return true;
  if (a is Map && b is Map) {
    if (a.length != b.length) return false;
    for (final k in a.keys) {
      if (!b.containsKey(k) || !jsonEquals(a[k], b[k])) return false;
    }
    return true;
  }
  if (a is List && b is List) {
    if (a.length != b.length) return false;
    for (var i = 0; i < a.length; i++) {
      if (!jsonEquals(a[i], b[i])) return false;
    }
    return true;
  }
  return a == b;
}

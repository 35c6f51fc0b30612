import 'dart:convert';

import 'json.dart';

/// What a maintenance window refuses while it is active.
enum MaintenanceMode {
  /// Writes (POST, PUT, PATCH, DELETE) to the resources the window covers
  /// answer 503; reads keep working.
  readOnly,

  /// Every request but health, metrics and the maintenance endpoints
  /// answers 503.
  full,

  /// A mode this client does not know (a newer server).
  unknown,
}

extension MaintenanceModeWire on MaintenanceMode {
  /// `read_only` or `full` (`unknown` for [MaintenanceMode.unknown]).
  String get wire {
    switch (this) {
      case MaintenanceMode.readOnly:
        return 'read_only';
      case MaintenanceMode.full:
        return 'full';
      case MaintenanceMode.unknown:
        return 'unknown';
    }
  }

  /// The mode for a wire value; [MaintenanceMode.unknown] for any other
  /// (never throws).
  static MaintenanceMode fromWire(String? value) {
    switch (value) {
      case 'read_only':
        return MaintenanceMode.readOnly;
      case 'full':
        return MaintenanceMode.full;
      default:
        return MaintenanceMode.unknown;
    }
  }
}

/// Where a window stands, by the server's clock when it answered.
enum MaintenanceStatus {
  upcoming,
  active,
  ended,

  /// A status this client does not know (a newer server).
  unknown,
}

extension MaintenanceStatusWire on MaintenanceStatus {
  /// `upcoming`, `active` or `ended` (`unknown` for
  /// [MaintenanceStatus.unknown]).
  String get wire => name;

  /// The status for a wire value; [MaintenanceStatus.unknown] for any other
  /// (never throws).
  static MaintenanceStatus fromWire(String? value) {
    switch (value) {
      case 'upcoming':
        return MaintenanceStatus.upcoming;
      case 'active':
        return MaintenanceStatus.active;
      case 'ended':
        return MaintenanceStatus.ended;
      default:
        return MaintenanceStatus.unknown;
    }
  }
}

bool _covers(MaintenanceMode mode, List<String> resources, String resource) =>
    mode == MaintenanceMode.full || resources.isEmpty || resources.contains(resource);

/// One scheduled maintenance window, as `GET /v1/maintenance` lists it and
/// as a refused request's problem carries it ([MaintenanceException]).
class MaintenanceWindow {
  const MaintenanceWindow({
    required this.id,
    required this.startsAt,
    required this.endsAt,
    required this.mode,
    required this.status,
    required this.message,
    this.resources = const <String>[],
    this.link,
    this.revision = 0,
    required this.createdAt,
    required this.updatedAt,
  });

  /// Reads the server's JSON; throws [FormatException] when a member is
  /// missing or of the wrong type. Unknown `mode` and `status` values
  /// become `unknown`.
  factory MaintenanceWindow.fromJson(Map<String, dynamic> json) {
    final mode = json['mode'];
    final status = json['status'];
    final resources = json['resources'];
    return MaintenanceWindow(
      id: readString(json, 'id'),
      startsAt: readDateTime(json, 'starts_at'),
      endsAt: readDateTime(json, 'ends_at'),
      mode: MaintenanceModeWire.fromWire(mode is String ? mode : null),
      status: MaintenanceStatusWire.fromWire(status is String ? status : null),
      message: readStringOrNull(json, 'message') ?? '',
      resources: resources == null
          ? const <String>[]
          : List<String>.unmodifiable(readArray(resources, 'resources').map((Object? r) {
              if (r is String) return r;
              throw FormatException('`resources`: expected strings, got $r');
            })),
      link: readStringOrNull(json, 'link'),
      revision: readIntOrNull(json, 'revision') ?? 0,
      createdAt: readDateTime(json, 'created_at'),
      updatedAt: readDateTime(json, 'updated_at'),
    );
  }

  final String id;

  /// When it begins and ends (UTC).
  final DateTime startsAt;
  final DateTime endsAt;

  final MaintenanceMode mode;
  final MaintenanceStatus status;

  /// What the operators tell users.
  final String message;

  /// The resource paths it covers (`tasks`); empty: every resource.
  final List<String> resources;

  /// Where to read more, if anywhere.
  final String? link;

  /// Counts changes to the window (0 when scheduled).
  final int revision;

  final DateTime createdAt;
  final DateTime updatedAt;

  /// Whether requests to [resource] fall under the window: a `full` window
  /// covers every resource, others those in [resources] (all when empty).
  bool affects(String resource) => _covers(mode, resources, resource);

  Map<String, dynamic> toJson() => <String, dynamic>{
        'id': id,
        'starts_at': formatDateTime(startsAt),
        'ends_at': formatDateTime(endsAt),
        'mode': mode.wire,
        'status': status.wire,
        'message': message,
        'resources': resources,
        'link': link,
        'revision': revision,
        'created_at': formatDateTime(createdAt),
        'updated_at': formatDateTime(updatedAt),
      };

  @override
  bool operator ==(Object other) =>
      other is MaintenanceWindow &&
      other.id == id &&
      other.startsAt == startsAt &&
      other.endsAt == endsAt &&
      other.mode == mode &&
      other.status == status &&
      other.message == message &&
      listEquals(other.resources, resources) &&
      other.link == link &&
      other.revision == revision &&
      other.createdAt == createdAt &&
      other.updatedAt == updatedAt;

  @override
  int get hashCode => Object.hash(id, startsAt, endsAt, mode, status, message, Object.hashAll(resources),
      link, revision, createdAt, updatedAt);

  @override
  String toString() => 'MaintenanceWindow($id ${mode.wire} ${status.wire} '
      '${formatDateTime(startsAt)}–${formatDateTime(endsAt)}'
      '${resources.isEmpty ? '' : ' ${resources.join(' ')}'})';
}

/// `GET /v1/maintenance`: the windows that are upcoming, active or ended
/// recently (cancelled ones are not listed), split by their status.
class MaintenanceSchedule {
  MaintenanceSchedule({required List<MaintenanceWindow> windows, required this.horizon})
      : windows = List<MaintenanceWindow>.unmodifiable(windows);

  factory MaintenanceSchedule.fromJson(Map<String, dynamic> json) => MaintenanceSchedule(
        windows: readArray(json['items'], 'items')
            .map((Object? e) => MaintenanceWindow.fromJson(readObject(e, 'maintenance window')))
            .toList(),
        horizon: Duration(seconds: readIntOrNull(json, 'horizon_seconds') ?? 0),
      );

  /// Every listed window, in the server's order (by start).
  final List<MaintenanceWindow> windows;

  /// How far ahead the `Maintenance` response field announces windows.
  final Duration horizon;

  /// Not begun yet.
  List<MaintenanceWindow> get upcoming => _with(MaintenanceStatus.upcoming);

  /// On now.
  List<MaintenanceWindow> get active => _with(MaintenanceStatus.active);

  /// Over (the server lists those that ended lately).
  List<MaintenanceWindow> get recent => _with(MaintenanceStatus.ended);

  List<MaintenanceWindow> _with(MaintenanceStatus status) =>
      List<MaintenanceWindow>.unmodifiable(windows.where((w) => w.status == status));

  @override
  String toString() =>
      'MaintenanceSchedule(${upcoming.length} upcoming, ${active.length} active, ${recent.length} recent)';
}

/// A window announced in the `Maintenance` response field: active now, or
/// starting within the server's horizon. The field carries no message: read
/// it from `client.maintenance.list()`.
class AnnouncedWindow {
  AnnouncedWindow({
    required this.id,
    required this.startsAt,
    required this.endsAt,
    required this.mode,
    this.active = false,
    List<String> resources = const <String>[],
  }) : resources = List<String>.unmodifiable(resources);

  /// The windows of a `Maintenance` field value (an RFC 9651 List), in
  /// order; an empty list for null. Never throws: a member that cannot be
  /// read (or lacks its `start` or `end`) is left out.
  static List<AnnouncedWindow> parseHeader(String? value) {
    if (value == null) return const <AnnouncedWindow>[];
    final out = <AnnouncedWindow>[];
    for (final m in _parseSfList(value)) {
      final w = _fromMember(m);
      if (w != null) out.add(w);
    }
    return List<AnnouncedWindow>.unmodifiable(out);
  }

  static AnnouncedWindow? _fromMember(_SfMember m) {
    final id = m.value;
    if (id is! String || id.isEmpty) return null;
    final start = _instant(m.params['start']);
    final end = _instant(m.params['end']);
    if (start == null || end == null) return null;
    final mode = m.params['mode'];
    final resources = m.params['resources'];
    return AnnouncedWindow(
      id: id,
      startsAt: start,
      endsAt: end,
      mode: MaintenanceModeWire.fromWire(mode is _SfToken ? mode.text : (mode is String ? mode : null)),
      active: m.params['active'] == true,
      resources: resources is String
          ? resources.split(' ').where((r) => r.isNotEmpty).toList()
          : const <String>[],
    );
  }

  /// A Date (or, from a lax sender, an Integer) of seconds → UTC.
  static DateTime? _instant(Object? v) {
    final s = v is _SfDate ? v.seconds : (v is int ? v : null);
    // DateTime's range: ±100,000,000 days around the epoch.
    if (s == null || s.abs() > 8640000000000) return null;
    return DateTime.fromMillisecondsSinceEpoch(s * 1000, isUtc: true);
  }

  final String id;

  /// When it begins and ends (UTC, whole seconds: the start rounded down,
  /// the end up).
  final DateTime startsAt;
  final DateTime endsAt;

  final MaintenanceMode mode;

  /// Whether the window was on when the response was sent.
  final bool active;

  /// The resource paths it covers (`tasks`); empty: every resource.
  final List<String> resources;

  /// Whether requests to [resource] fall under the window: a `full` window
  /// covers every resource, others those in [resources] (all when empty).
  bool affects(String resource) => _covers(mode, resources, resource);

  @override
  bool operator ==(Object other) =>
      other is AnnouncedWindow &&
      other.id == id &&
      other.startsAt == startsAt &&
      other.endsAt == endsAt &&
      other.mode == mode &&
      other.active == active &&
      listEquals(other.resources, resources);

  @override
  int get hashCode => Object.hash(id, startsAt, endsAt, mode, active, Object.hashAll(resources));

  @override
  String toString() => 'AnnouncedWindow($id ${mode.wire}${active ? ' active' : ''} '
      '${formatDateTime(startsAt)}–${formatDateTime(endsAt)}'
      '${resources.isEmpty ? '' : ' ${resources.join(' ')}'})';
}

// A reader for the part of RFC 9651 (structured fields) that Lists use:
// members that are bare items or inner lists, each with parameters. Bare
// items: Integer and Decimal (num), String (String), Token (_SfToken), Byte
// Sequence (_SfBytes), Boolean (bool), Date (_SfDate), Display String
// (_SfDisplay). Unlike the RFC's algorithm, which fails the whole field, a
// member that does not parse is skipped up to the next comma outside a
// string, and the rest is read on.

class _SfMember {
  _SfMember(this.value, this.params);

  /// A bare item, or a List<_SfMember> for an inner list.
  final Object value;
  final Map<String, Object> params;
}

class _SfToken {
  const _SfToken(this.text);
  final String text;
}

class _SfDate {
  const _SfDate(this.seconds);
  final int seconds;
}

class _SfBytes {
  const _SfBytes(this.base64);
  final String base64;
}

class _SfDisplay {
  const _SfDisplay(this.text);
  final String text;
}

class _SfError implements Exception {
  const _SfError();
}

List<_SfMember> _parseSfList(String input) {
  final p = _SfParser(input);
  final out = <_SfMember>[];
  p.skipOws();
  while (!p.atEnd) {
    final start = p.pos;
    try {
      final m = p.member();
      p.skipOws();
      if (!p.atEnd && !p.eat(0x2c)) throw const _SfError();
      out.add(m);
    } on _SfError {
      p.pos = start;
      p.skipMember();
    }
    p.skipOws();
  }
  return out;
}

class _SfParser {
  _SfParser(this.s);

  final String s;
  int pos = 0;

  bool get atEnd => pos >= s.length;
  int get peek => pos < s.length ? s.codeUnitAt(pos) : -1;

  bool eat(int c) {
    if (peek != c) return false;
    pos++;
    return true;
  }

  Never fail() => throw const _SfError();

  static bool _digit(int c) => c >= 0x30 && c <= 0x39;
  static bool _lcalpha(int c) => c >= 0x61 && c <= 0x7a;
  static bool _alpha(int c) => _lcalpha(c) || (c >= 0x41 && c <= 0x5a);
  static bool _tchar(int c) =>
      _alpha(c) || _digit(c) || (c >= 0 && "!#\$%&'*+-.^_`|~".codeUnits.contains(c));

  /// Spaces and tabs (around the commas between members).
  void skipOws() {
    while (peek == 0x20 || peek == 0x09) {
      pos++;
    }
  }

  void _skipSp() {
    while (peek == 0x20) {
      pos++;
    }
  }

  /// Past the next comma that is not inside a string (or to the end).
  void skipMember() {
    var quoted = false;
    while (!atEnd) {
      final c = s.codeUnitAt(pos++);
      if (quoted) {
        if (c == 0x5c) {
          pos++;
        } else if (c == 0x22) {
          quoted = false;
        }
      } else if (c == 0x22) {
        quoted = true;
      } else if (c == 0x2c) {
        return;
      }
    }
  }

  _SfMember member() {
    if (peek == 0x28) return _innerList();
    final value = bareItem();
    return _SfMember(value, params());
  }

  _SfMember _innerList() {
    pos++; // (
    final items = <_SfMember>[];
    while (true) {
      _skipSp();
      if (eat(0x29)) break;
      final value = bareItem();
      items.add(_SfMember(value, params()));
      if (peek != 0x20 && peek != 0x29) fail();
    }
    return _SfMember(List<_SfMember>.unmodifiable(items), params());
  }

  Map<String, Object> params() {
    final out = <String, Object>{};
    while (eat(0x3b)) {
      _skipSp();
      final k = key();
      // The last of a repeated key wins.
      out[k] = eat(0x3d) ? bareItem() : true;
    }
    return out;
  }

  String key() {
    final start = pos;
    if (!(_lcalpha(peek) || peek == 0x2a)) fail();
    pos++;
    while (_lcalpha(peek) || _digit(peek) || peek == 0x5f || peek == 0x2d || peek == 0x2e || peek == 0x2a) {
      pos++;
    }
    return s.substring(start, pos);
  }

  Object bareItem() {
    final c = peek;
    if (c == 0x2d || _digit(c)) return _number();
    if (c == 0x22) return _string();
    if (c == 0x2a || _alpha(c)) return _token();
    if (c == 0x3a) return _bytes();
    if (c == 0x3f) return _boolean();
    if (c == 0x40) {
      pos++;
      final n = _number();
      if (n is! int) fail();
      return _SfDate(n);
    }
    if (c == 0x25) return _display();
    fail();
  }

  num _number() {
    final start = pos;
    final negative = eat(0x2d);
    final digitsStart = pos;
    while (_digit(peek)) {
      pos++;
    }
    final whole = pos - digitsStart;
    if (whole == 0) fail();
    if (peek != 0x2e) {
      if (whole > 15) fail();
      final v = int.parse(s.substring(digitsStart, pos));
      return negative ? -v : v;
    }
    if (whole > 12) fail();
    pos++; // .
    final fracStart = pos;
    while (_digit(peek)) {
      pos++;
    }
    final frac = pos - fracStart;
    if (frac < 1 || frac > 3) fail();
    return double.parse(s.substring(start, pos));
  }

  String _string() {
    pos++; // "
    final b = StringBuffer();
    while (!atEnd) {
      final c = s.codeUnitAt(pos++);
      if (c == 0x5c) {
        final next = peek;
        if (next != 0x22 && next != 0x5c) fail();
        b.writeCharCode(next);
        pos++;
      } else if (c == 0x22) {
        return b.toString();
      } else if (c < 0x20 || c > 0x7e) {
        fail();
      } else {
        b.writeCharCode(c);
      }
    }
    fail(); // unterminated
  }

  _SfToken _token() {
    final start = pos;
    pos++;
    while (_tchar(peek) || peek == 0x3a || peek == 0x2f) {
      pos++;
    }
    return _SfToken(s.substring(start, pos));
  }

  _SfBytes _bytes() {
    pos++; // :
    final start = pos;
    while (_alpha(peek) || _digit(peek) || peek == 0x2b || peek == 0x2f || peek == 0x3d) {
      pos++;
    }
    final end = pos;
    if (!eat(0x3a)) fail();
    return _SfBytes(s.substring(start, end));
  }

  bool _boolean() {
    pos++; // ?
    if (eat(0x31)) return true;
    if (eat(0x30)) return false;
    fail();
  }

  _SfDisplay _display() {
    pos++; // %
    if (!eat(0x22)) fail();
    final bytes = <int>[];
    while (!atEnd) {
      final c = s.codeUnitAt(pos++);
      if (c == 0x22) {
        try {
          return _SfDisplay(utf8.decode(bytes));
        } on FormatException {
          fail();
        }
      }
      if (c == 0x25) {
        if (pos + 2 > s.length) fail();
        final hex = s.substring(pos, pos + 2);
        if (!RegExp(r'^[0-9a-f]{2}$').hasMatch(hex)) fail();
        bytes.add(int.parse(hex, radix: 16));
        pos += 2;
      } else if (c < 0x20 || c > 0x7e) {
        fail();
      } else {
        bytes.add(c);
      }
    }
    fail(); // unterminated
  }
}

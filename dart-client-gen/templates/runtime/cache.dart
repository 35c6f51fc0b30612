import 'dart:async';
import 'dart:collection';

/// One cached response body with its validator.
class CacheEntry {
  CacheEntry({
    required this.body,
    this.etag,
    required this.storedAt,
    this.stale = false,
    this.scope,
    this.maxAge,
  });

  factory CacheEntry.fromJson(Map<String, dynamic> json) => CacheEntry(
        body: json['body'] as String,
        etag: json['etag'] as String?,
        storedAt: DateTime.parse(json['stored_at'] as String).toUtc(),
        stale: json['stale'] as bool? ?? false,
        scope: json['scope'] as String?,
        maxAge: json['max_age_ms'] == null ? null : Duration(milliseconds: (json['max_age_ms'] as num).toInt()),
      );

  /// The response body (JSON text).
  final String body;

  /// The response's `ETag`, sent back as `If-None-Match`.
  final String? etag;

  /// When the body was stored or last confirmed by the server (UTC).
  final DateTime storedAt;

  /// Set when a write through this client may have changed the data: the
  /// entry is then always revalidated, whatever its age.
  final bool stale;

  /// Whose response it is: a digest of the `authorization` it was fetched
  /// with (never the token itself). The client uses an entry only for
  /// requests with the same credentials.
  final String? scope;

  /// How long after [storedAt] the server lets the entry be used without
  /// asking it: the response's `Cache-Control: max-age`. Null (`no-cache`,
  /// or no header) means every use revalidates.
  final Duration? maxAge;

  /// Whether the entry may be used without asking the server: not [stale]
  /// and younger than [maxAge] ([override], when given, replaces it).
  bool isFresh(DateTime now, {Duration? override}) {
    final window = override ?? maxAge;
    return !stale && window != null && now.difference(storedAt) < window;
  }

  /// The entry confirmed by a 304 at [now], with that answer's [maxAge].
  CacheEntry confirmed(DateTime now, {Duration? maxAge}) =>
      CacheEntry(body: body, etag: etag, storedAt: now, scope: scope, maxAge: maxAge);

  CacheEntry markedStale() =>
      CacheEntry(body: body, etag: etag, storedAt: storedAt, stale: true, scope: scope, maxAge: maxAge);

  /// For storages that keep entries as JSON (files, key-value stores).
  Map<String, dynamic> toJson() => {
        'body': body,
        'etag': etag,
        'stored_at': storedAt.toUtc().toIso8601String(),
        'stale': stale,
        'scope': scope,
        if (maxAge != null) 'max_age_ms': maxAge!.inMilliseconds,
      };
}

/// What a response's `Cache-Control` allows a client.
class CacheDirectives {
  const CacheDirectives({this.maxAge, this.noStore = false});

  /// Reads a `Cache-Control` value. `no-cache` (or no `max-age`) gives a
  /// null [maxAge]: revalidate before every use.
  factory CacheDirectives.parse(String? header) {
    if (header == null) return const CacheDirectives();
    Duration? maxAge;
    var noCache = false;
    var noStore = false;
    for (final part in header.split(',')) {
      final d = part.trim().toLowerCase();
      if (d == 'no-store') {
        noStore = true;
      } else if (d == 'no-cache' || d.startsWith('no-cache=')) {
        noCache = true;
      } else if (d.startsWith('max-age=')) {
        final n = int.tryParse(d.substring(8).replaceAll('"', '').trim());
        if (n != null && n >= 0) maxAge = Duration(seconds: n);
      }
    }
    return CacheDirectives(maxAge: noCache || noStore ? null : maxAge, noStore: noStore);
  }

  /// How long a stored response may be used without asking the server.
  final Duration? maxAge;

  /// The response must not be stored.
  final bool noStore;
}

/// Where the client keeps cached responses. Keys are request URLs.
///
/// The default is [MemoryCacheStorage]. Implement this over a persistent
/// store (files, Hive, shared_preferences, sqflite) to keep data across app
/// restarts, or use [NoCacheStorage] to turn caching off. Entries carry
/// the caller's scope, and the client empties the cache when the token
/// changes; still clear it on sign-out.
abstract class CacheStorage {
  Future<CacheEntry?> read(String key);
  Future<void> write(String key, CacheEntry entry);
  Future<void> remove(String key);

  /// Every key currently stored.
  Future<List<String>> keys();

  /// Removes every entry.
  Future<void> clear();
}

/// An in-memory, least-recently-used [CacheStorage].
class MemoryCacheStorage implements CacheStorage {
  MemoryCacheStorage({this.maxEntries = 512}) : assert(maxEntries > 0);

  /// The oldest entries are dropped beyond this many.
  final int maxEntries;

  final LinkedHashMap<String, CacheEntry> _entries =
      LinkedHashMap<String, CacheEntry>();

  int get length => _entries.length;

  @override
  Future<CacheEntry?> read(String key) {
    final e = _entries.remove(key);
    if (e != null) _entries[key] = e;
    return Future<CacheEntry?>.value(e);
  }

  @override
  Future<void> write(String key, CacheEntry entry) {
    _entries.remove(key);
    _entries[key] = entry;
    while (_entries.length > maxEntries) {
      _entries.remove(_entries.keys.first);
    }
    return Future<void>.value();
  }

  @override
  Future<void> remove(String key) {
    _entries.remove(key);
    return Future<void>.value();
  }

  @override
  Future<List<String>> keys() => Future<List<String>>.value(_entries.keys.toList());

  @override
  Future<void> clear() {
    _entries.clear();
    return Future<void>.value();
  }
}

/// A [CacheStorage] that keeps nothing: every read goes to the server.
class NoCacheStorage implements CacheStorage {
  const NoCacheStorage();

  @override
  Future<CacheEntry?> read(String key) => Future<CacheEntry?>.value();
  @override
  Future<void> write(String key, CacheEntry entry) => Future<void>.value();
  @override
  Future<void> remove(String key) => Future<void>.value();
  @override
  Future<List<String>> keys() => Future<List<String>>.value(const <String>[]);
  @override
  Future<void> clear() => Future<void>.value();
}

/// How a read uses the cache.
enum CachePolicy {
  /// A cached entry is used without a request while the server allows it
  /// (`Cache-Control: max-age`, counted from receipt); otherwise, and
  /// always for `no-cache`, the server is asked with `If-None-Match` and a
  /// 304 reuses the cached body. The default.
  cacheFirst,

  /// Always ask the server, with `If-None-Match` when a cached entry exists
  /// (a 304 reuses it). Use for pull-to-refresh.
  revalidate,

  /// Ask the server without `If-None-Match`; the answer is still stored.
  networkOnly,
}

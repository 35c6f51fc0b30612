import 'dart:async';
import 'dart:convert';
import 'dart:math';

import 'cache.dart';
import 'changes.dart';
import 'deprecation.dart';
import 'errors.dart';
import 'json.dart';
import 'maintenance.dart';
import 'query.dart';
import 'transport.dart';

/// Supplies the access token; null when signed out.
typedef TokenProvider = Future<String?> Function();

/// A token already asked for (which may be none).
class _Token {
  const _Token(this.value);
  final String? value;
}

/// A body read through the cache.
class Fetched {
  const Fetched(this.body, this.etag, {required this.status});

  final String body;
  final String? etag;

  /// 200 from the server, 304 (the cached body, confirmed) or 0 (served
  /// from the cache without a request).
  final int status;
}

/// What the generated resource classes share: the transport, the cache and
/// the change broadcast. Created by `ApiClient`; not for direct use.
class ApiCore {
  ApiCore({
    required String baseUrl,
    required this.transport,
    required this.cache,
    Map<String, String> headers = const <String, String>{},
    this.cascades = const <String, List<String>>{},
    this.retries = 2,
    this.maxRetryDelay = const Duration(seconds: 5),
    this.getToken,
    this.refreshToken,
    this.onDeprecation,
  })  : baseUrl = baseUrl.endsWith('/') ? baseUrl.substring(0, baseUrl.length - 1) : baseUrl,
        headers = <String, String>{
          for (final e in headers.entries) e.key.toLowerCase(): e.value,
        };

  /// The server's base URL, without a trailing slash.
  final String baseUrl;
  final ApiTransport transport;
  final CacheStorage cache;

  /// Sent with every request (lower-case names).
  final Map<String, String> headers;

  /// How many times a request is sent again after a failure a retry may
  /// fix (no answer, 408, 429, 502, 503, 504). POST and PATCH carry an
  /// `Idempotency-Key`, the same on every attempt, so the server applies a
  /// retried write once.
  final int retries;

  /// The longest wait before a retry: a longer `Retry-After` ends them,
  /// and the error is thrown at once (for a maintenance window ending
  /// later than that, a [MaintenanceException]).
  final Duration maxRetryDelay;

  /// Asked before every request; the token goes as `authorization:
  /// Bearer …` (it wins over one in [headers]).
  final TokenProvider? getToken;

  /// Called when a request is answered 401: a new token (kept where
  /// [getToken] reads it), or null to give up. The request is sent once
  /// more with it; a second 401 throws [UnauthorizedException]. Requests
  /// answered 401 meanwhile share the one call.
  final TokenProvider? refreshToken;

  /// Called once per route, the first time a response announces its
  /// retirement (`Deprecation`, `Sunset`, a `successor-version` link).
  final DeprecationCallback? onDeprecation;

  /// The routes already announced to [onDeprecation].
  final Set<String> _deprecatedRoutes = <String>{};

  Future<String?>? _refreshing;

  /// The scope of the last request: the cache is emptied when it changes.
  String? _lastScope;

  /// The scope each response was fetched under, for storing it.
  final Expando<String> _scopes = Expando<String>('scope');

  /// The request (as last sent) each answer of [sendForAnswer] is to.
  final Expando<ApiRequest> _requests = Expando<ApiRequest>('request');

  /// The request [response] answers, as last sent (after a refresh, with
  /// the new token).
  ApiRequest? requestOf(ApiResponse response) => _requests[response];

  static final Random _random = Random.secure();

  /// Resource path → the resources whose records a delete there removes or
  /// changes too (`on_delete = cascade | set_null`), transitively.
  final Map<String, List<String>> cascades;

  final Map<String, String> _routes = <String, String>{};
  final StreamController<ResourceChange> _changes = StreamController<ResourceChange>.broadcast();

  /// The last `Maintenance` field seen (null: none), and its windows.
  String? _announcedField;
  List<AnnouncedWindow> _announced = const <AnnouncedWindow>[];
  final StreamController<List<AnnouncedWindow>> _announcements =
      StreamController<List<AnnouncedWindow>>.broadcast();

  /// The windows of the last response's `Maintenance` field.
  List<AnnouncedWindow> get announced => _announced;

  /// [announced], each time the field appears, changes or disappears.
  Stream<List<AnnouncedWindow>> get announcements => _announcements.stream;

  void _noteAnnouncement(ApiResponse response) {
    final raw = response.header('maintenance');
    final field = raw == null || raw.trim().isEmpty ? null : raw;
    if (field == _announcedField) return;
    _announcedField = field;
    _announced = AnnouncedWindow.parseHeader(field);
    if (!_announcements.isClosed) _announcements.add(_announced);
  }

  /// The registered collection route [path] is in (the longest), else
  /// [path] itself.
  String routeOf(String path) {
    String? best;
    for (final r in _routes.values) {
      if ((path == r || path.startsWith('$r/')) && (best == null || r.length > best.length)) best = r;
    }
    return best ?? path;
  }

  void _noteDeprecation(ApiRequest request, ApiResponse response) {
    final callback = onDeprecation;
    if (callback == null) return;
    final route = routeOf(request.url.path);
    if (_deprecatedRoutes.contains(route)) return;
    final notice = DeprecationNotice.fromHeaders(route, request.url, response.headers);
    if (notice == null) return;
    _deprecatedRoutes.add(route);
    try {
      callback(notice);
    } catch (e, s) {
      // The app's callback never fails the request.
      Zone.current.handleUncaughtError(e, s);
    }
  }

  void register(String resource, String route) => _routes[resource] = route;

  /// Every change made through this client.
  Stream<ResourceChange> get changes => _changes.stream;

  void emit(ResourceChange change) {
    if (!_changes.isClosed) _changes.add(change);
  }

  String url(String pathAndQuery) => '$baseUrl$pathAndQuery';

  /// A new UUIDv4 for an `Idempotency-Key`.
  static String newIdempotencyKey() {
    final b = List<int>.generate(16, (_) => _random.nextInt(256));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    final h = b.map((x) => x.toRadixString(16).padLeft(2, '0')).join();
    return '${h.substring(0, 8)}-${h.substring(8, 12)}-${h.substring(12, 16)}-'
        '${h.substring(16, 20)}-${h.substring(20)}';
  }

  /// Which caller a cached response belongs to: a digest of the
  /// `authorization` header (the token must not reach a persistent store),
  /// `-` without one. Web-safe arithmetic: no product exceeds 2^53.
  static String scopeOf(String? authorization) {
    if (authorization == null || authorization.isEmpty) return '-';
    int fnv(int h) => (h * 403 + (h & 0xff) * 0x1000000) & 0xffffffff;
    final units = authorization.codeUnits;
    final n = units.length;
    var a = 0x811c9dc5;
    var b = 0x811c9dc5;
    for (var i = 0; i < n; i++) {
      a = fnv(a ^ units[i]);
      b = fnv(b ^ units[n - 1 - i]);
    }
    String hex(int x) => x.toRadixString(16).padLeft(8, '0');
    return '${hex(a)}${hex(b)}${n.toRadixString(16)}';
  }

  Future<String?> _token() async {
    final t = getToken == null ? null : await getToken!();
    return t == null || t.isEmpty ? null : t;
  }

  /// The `authorization` a request with [token] carries.
  String? _authorization(String? token) => token != null ? 'Bearer $token' : headers['authorization'];

  /// Another caller than the last one: drop the previous one's responses.
  Future<void> _noteScope(String scope) async {
    final last = _lastScope;
    _lastScope = scope;
    if (last != null && last != scope) await cache.clear();
  }

  /// A token to retry a request answered 401 with: the one [getToken] now
  /// gives if another request already refreshed it, else [refreshToken]'s
  /// (one call at a time, shared).
  Future<String?> _refreshAfter(String? rejected) async {
    final inFlight = _refreshing;
    if (inFlight != null) return inFlight;
    final current = await _token();
    if (current != null && current != rejected && _refreshing == null) return current;
    return _refreshing ??= _refresh();
  }

  Future<String?> _refresh() async {
    // Completes after the caller stored this future, even if the callback throws at once.
    await Future<void>.value();
    try {
      final t = await refreshToken!();
      return t == null || t.isEmpty ? null : t;
    } finally {
      _refreshing = null;
    }
  }

  /// Sends one request, again after failures a retry may fix (see
  /// [retries]), and once more after a 401 if [refreshToken] gives a new
  /// token; error statuses become [ApiException], transport failures
  /// [NetworkException]. POST and PATCH get an `Idempotency-Key`
  /// ([idempotencyKey], or a new one), the same on every attempt.
  Future<ApiResponse> send(
    String method,
    String pathAndQuery, {
    Object? json,
    String contentType = 'application/json',
    Map<String, String> headers = const <String, String>{},
    String? idempotencyKey,
  }) =>
      _send(method, pathAndQuery,
          json: json, contentType: contentType, headers: headers, idempotencyKey: idempotencyKey);

  /// Sends one request like [send], but returns the answer whatever its
  /// status (after the retries and the refresh on 401): for protocols that
  /// answer errors in the body, such as GraphQL. [keyed]: whether a POST or
  /// PATCH carries an `Idempotency-Key`. With [unprocessedOnly], only
  /// answers saying the server did not act on the request (408, 429, 503)
  /// are sent again, never a request whose answer was lost: for writes the
  /// server cannot recognise when repeated.
  Future<ApiResponse> sendForAnswer(
    String method,
    String pathAndQuery, {
    Object? json,
    Map<String, String> headers = const <String, String>{},
    bool keyed = true,
    bool unprocessedOnly = false,
  }) =>
      _send(method, pathAndQuery,
          json: json, headers: headers, keyed: keyed, unprocessedOnly: unprocessedOnly, check: false);

  Future<ApiResponse> _send(
    String method,
    String pathAndQuery, {
    Object? json,
    String contentType = 'application/json',
    Map<String, String> headers = const <String, String>{},
    String? idempotencyKey,
    _Token? token,
    bool? keyed,
    bool unprocessedOnly = false,
    bool check = true,
  }) async {
    final key = (keyed ?? true) && (method == 'POST' || method == 'PATCH');
    // The same key on the retry after a refresh: the 401 wrote nothing.
    final base = <String, String>{
      'accept': 'application/json',
      ...this.headers,
      ...headers,
      if (json != null) 'content-type': contentType,
      if (key) 'idempotency-key': '"${idempotencyKey ?? newIdempotencyKey()}"',
    };
    final body = json == null ? null : jsonEncode(json);
    ApiRequest build(String? token, {bool conditional = true}) {
      final h = Map<String, String>.of(base);
      if (token != null) h['authorization'] = 'Bearer $token';
      // A validator from the old token's entry does not go with the new one.
      if (!conditional) h.remove('if-none-match');
      return ApiRequest(method: method, url: Uri.parse(url(pathAndQuery)), headers: h, body: body);
    }

    final first = token != null ? token.value : await _token();
    var request = build(first);
    await _noteScope(scopeOf(request.headers['authorization']));
    var response = await _exchange(request, key, unprocessedOnly);
    if (response.status == 401 && refreshToken != null) {
      final fresh = await _refreshAfter(first);
      if (fresh != null) {
        request = build(fresh, conditional: false);
        await _noteScope(scopeOf(request.headers['authorization']));
        response = await _exchange(request, key, unprocessedOnly);
      }
    }
    if (check && response.status >= 400) throw ApiException.fromResponse(response, request: request);
    _requests[response] = request;
    _scopes[response] = scopeOf(request.headers['authorization']);
    return response;
  }

  /// The exchange with its retries; the last answer, whatever its status.
  /// With [unprocessedOnly], only answers saying the server did not act on
  /// the request are retried (see [sendForAnswer]).
  Future<ApiResponse> _exchange(ApiRequest request, bool keyed, [bool unprocessedOnly = false]) async {
    for (var attempt = 0;; attempt++) {
      ApiResponse? response;
      try {
        response = await transport.send(request);
      } on NetworkException {
        // The transport's own "no answer" (a stale pooled connection the
        // server closed, a timeout): retried like any other failure.
        if (attempt >= retries || unprocessedOnly) rethrow;
      } on ResourcefulException {
        rethrow;
      } catch (e) {
        // Without an answer, the server may have acted on the request.
        if (attempt >= retries || unprocessedOnly) {
          throw NetworkException(e.toString(), request: request, cause: e);
        }
      }
      if (response != null) {
        _noteAnnouncement(response);
        _noteDeprecation(request, response);
        final retryAfter = parseRetryAfter(response.header('retry-after'));
        if (response.status < 400) return response;
        if (attempt >= retries || !_retryable(response.status, keyed, retryAfter, unprocessedOnly)) {
          return response;
        }
        if (retryAfter != null && retryAfter > maxRetryDelay) return response;
        await Future<void>.delayed(retryAfter ?? _backoff(attempt));
      } else {
        final wait = _backoff(attempt);
        if (wait > maxRetryDelay) {
          throw NetworkException('gave up after ${attempt + 1} attempts', request: request);
        }
        await Future<void>.delayed(wait);
      }
    }
  }

  static bool _retryable(int status, bool keyed, Duration? retryAfter, bool unprocessedOnly) =>
      // The server refused the request before acting on it.
      status == 408 ||
      status == 429 ||
      status == 503 ||
      (!unprocessedOnly &&
          (status == 502 ||
              status == 504 ||
              // A keyed write whose first attempt is still running on the server.
              (keyed && status == 409 && retryAfter != null)));

  /// 100 ms, 200 ms, 400 ms, … with jitter.
  static Duration _backoff(int attempt) =>
      Duration(milliseconds: (100 * pow(2, attempt) * (0.5 + _random.nextDouble())).round());

  /// A GET through the cache (see [CachePolicy]). Freshness follows the
  /// server's `Cache-Control` (`max-age`, `no-cache`, `no-store`) unless
  /// [override] (the app's `cacheTtl`) replaces the window.
  /// Entries are only used for the caller they were fetched for.
  Future<Fetched> fetch(String pathAndQuery, CachePolicy policy, [Duration? override]) async {
    final key = url(pathAndQuery);
    final token = await _token();
    final scope = scopeOf(_authorization(token));
    await _noteScope(scope);
    final stored = policy == CachePolicy.networkOnly ? null : await cache.read(key);
    final entry = stored != null && stored.scope == scope ? stored : null;
    final now = DateTime.now().toUtc();
    if (entry != null && policy == CachePolicy.cacheFirst && entry.isFresh(now, override: override)) {
      return Fetched(entry.body, entry.etag, status: 0);
    }
    final etag = entry?.etag;
    final response = await _send('GET', pathAndQuery,
        headers: etag == null ? const <String, String>{} : <String, String>{'if-none-match': etag},
        token: _Token(token));
    final used = _scopes[response] ?? scope;
    final directives = CacheDirectives.parse(response.header('cache-control'));
    if (response.status == 304 && entry != null && used == scope) {
      if (directives.noStore) {
        await cache.remove(key);
      } else {
        await cache.write(key, entry.confirmed(DateTime.now().toUtc(), maxAge: directives.maxAge));
      }
      return Fetched(entry.body, entry.etag, status: 304);
    }
    if (response.status != 200) {
      throw InvalidResponseException('unexpected status ${response.status} for GET',
          status: response.status, body: response.body);
    }
    final newTag = response.header('etag');
    if (directives.noStore) {
      await cache.remove(key);
    } else {
      await cache.write(
          key,
          CacheEntry(
              body: response.body,
              etag: newTag,
              storedAt: DateTime.now().toUtc(),
              scope: used,
              maxAge: directives.maxAge));
    }
    return Fetched(response.body, newTag, status: 200);
  }

  /// The cached entry, if it was fetched for the current caller.
  Future<CacheEntry?> cached(String pathAndQuery) async {
    final e = await cache.read(url(pathAndQuery));
    if (e == null) return null;
    return e.scope == scopeOf(_authorization(await _token())) ? e : null;
  }

  /// Keeps a write's answer as the record's cached read, for the caller
  /// that made it.
  Future<void> store(String pathAndQuery, ApiResponse response) {
    final scope = _scopes[response];
    if (scope == null) return Future<void>.value();
    return cache.write(url(pathAndQuery),
        CacheEntry(body: response.body, etag: response.header('etag'), storedAt: DateTime.now().toUtc(), scope: scope));
  }

  Future<void> forget(String pathAndQuery) => cache.remove(url(pathAndQuery));

  /// Marks cached lists of [resource] (and, with [items], its records)
  /// stale: the next read revalidates them.
  Future<void> markStale(String resource, {bool items = false}) async {
    final route = _routes[resource];
    if (route == null) return;
    final base = url(route);
    for (final key in await cache.keys()) {
      final isList = key == base || key.startsWith('$base?');
      final isItem = key.startsWith('$base/');
      if (isList || (items && isItem)) {
        final e = await cache.read(key);
        if (e != null && !e.stale) await cache.write(key, e.markedStale());
      }
    }
  }

  /// After a delete in [resource]: dependent resources may have lost or
  /// changed records.
  Future<void> cascadeDelete(String resource) async {
    for (final other in cascades[resource] ?? const <String>[]) {
      await markStale(other, items: true);
      emit(ResourceChange(other, ChangeKind.invalidated));
    }
  }

  void close() {
    _changes.close();
    _announcements.close();
    transport.close();
  }
}

/// Maintenance windows (`client.maintenance`): the schedule, and the
/// windows every response announces in its `Maintenance` field.
class MaintenanceApi {
  MaintenanceApi(this._core);

  final ApiCore _core;

  /// The public schedule's route.
  static const String route = '/v1/maintenance';

  /// `GET /v1/maintenance`: upcoming, active and recently ended windows
  /// (cancelled ones are not listed). Revalidated with `If-None-Match` by
  /// default; with [CachePolicy.cacheFirst] a copy up to 10 s old is used.
  /// Served during every window, `full` ones too.
  Future<MaintenanceSchedule> list({CachePolicy cache = CachePolicy.revalidate}) async {
    final f = await _core.fetch(route, cache, const Duration(seconds: 10));
    try {
      return MaintenanceSchedule.fromJson(readObject(jsonDecode(f.body), 'maintenance schedule'));
    } catch (e) {
      throw InvalidResponseException('cannot read the maintenance schedule: $e', status: f.status, body: f.body);
    }
  }

  /// The windows the last response announced (active, or starting within
  /// the server's horizon); empty before the first response and when none
  /// is announced.
  List<AnnouncedWindow> get current => _core.announced;

  /// [current] each time it changes: when the `Maintenance` field first
  /// appears on a response, changes (a window scheduled, begun, moved) or
  /// disappears (an empty list). Broadcast; it learns of windows from the
  /// client's own requests, so it is quiet while the app sends none.
  Stream<List<AnnouncedWindow>> get changes => _core.announcements;
}

/// The operations of one resource; each generated `…Api` class (such as
/// `client.tasks`) is one of these with the types filled in:
/// [T] the model, [I] its id, [C] the create/replace input, [P] the
/// patch, [F] the filter builder.
class ResourceApi<T, I, C extends JsonInput, P extends JsonInput, F extends ResourceFilter> {
  ResourceApi(
    this._core, {
    required this.resource,
    required this.route,
    required this.idField,
    required T Function(Map<String, dynamic>) fromJson,
    required I Function(T) idOf,
    required String Function(I) encodeId,
    this.cacheTtl,
    required this.pageSize,
    required this.maxPageSize,
  })  : _fromJson = fromJson,
        _idOf = idOf,
        _encodeId = encodeId {
    _core.register(resource, route);
  }

  final ApiCore _core;

  /// The resource's path, e.g. `tasks`.
  final String resource;

  /// The collection route, e.g. `/v1/tasks`.
  final String route;

  /// The id field's wire name.
  final String idField;

  /// The app's override of how long a cached read is used without asking
  /// the server ([CachePolicy.cacheFirst]); null (the default) follows the
  /// server's `Cache-Control`.
  final Duration? cacheTtl;

  /// Items per page when no `limit` is given, and the largest `limit`.
  final int pageSize;
  final int maxPageSize;

  final T Function(Map<String, dynamic>) _fromJson;
  final I Function(T) _idOf;
  final String Function(I) _encodeId;
  final Set<_Live<Object?>> _lives = <_Live<Object?>>{};

  /// Changes to this resource made through this client.
  Stream<ResourceChange> get changes => _core.changes.where((c) => c.resource == resource);

  /// The id of [item].
  I idOf(T item) => _idOf(item);

  String _itemPath(I id) => '$route/${Uri.encodeComponent(_encodeId(id))}';

  /// The route and query string of a list request.
  String listPath({F? filter, List<SortKey<T>>? sort, int? limit, String? cursor, int? offset}) {
    final params = <String>[];
    void add(String k, String v) =>
        params.add('${Uri.encodeQueryComponent(k)}=${Uri.encodeQueryComponent(v)}');
    for (final c in filter?.filterConditions ?? const <FilterCondition>[]) {
      add(c.key, c.value);
    }
    if (sort != null && sort.isNotEmpty) add('sort', sort.map((k) => k.wire).join(','));
    if (limit != null) add('limit', '$limit');
    if (cursor != null) add('cursor', cursor);
    if (offset != null) add('offset', '$offset');
    return params.isEmpty ? route : '$route?${params.join('&')}';
  }

  T _item(String body, {int? status}) {
    try {
      return _fromJson(readObject(jsonDecode(body), resource));
    } catch (e) {
      throw InvalidResponseException('cannot read a $resource record: $e', status: status, body: body);
    }
  }

  List<T> _items(String body, {int? status}) {
    try {
      return readArray(jsonDecode(body), resource)
          .map((e) => _fromJson(readObject(e, resource)))
          .toList();
    } catch (e) {
      throw InvalidResponseException('cannot read $resource records: $e', status: status, body: body);
    }
  }

  ApiPage<T> _page(String body, {int? status}) {
    try {
      final j = readObject(jsonDecode(body), '$resource page');
      return ApiPage<T>(
        items: List<T>.unmodifiable(
            readArray(j['items'], 'items').map((e) => _fromJson(readObject(e, resource)))),
        nextCursor: readStringOrNull(j, 'next_cursor'),
        limit: readInt(j, 'limit'),
      );
    } catch (e) {
      throw InvalidResponseException('cannot read a page of $resource: $e', status: status, body: body);
    }
  }

  /// One page: `GET /v1/…?filters&sort=…&limit=…&cursor=…`.
  ///
  /// Pass the previous page's `nextCursor` as [cursor] (keyset pagination,
  /// stable under inserts) or use [offset]; not both.
  Future<ApiPage<T>> list({
    F? filter,
    List<SortKey<T>>? sort,
    int? limit,
    String? cursor,
    int? offset,
    CachePolicy cache = CachePolicy.cacheFirst,
  }) async {
    final path = listPath(filter: filter, sort: sort, limit: limit, cursor: cursor, offset: offset);
    final f = await _core.fetch(path, cache, cacheTtl);
    return _page(f.body, status: f.status);
  }

  /// Every page in turn, following `nextCursor` until the last one.
  Stream<ApiPage<T>> pages({
    F? filter,
    List<SortKey<T>>? sort,
    int? limit,
    CachePolicy cache = CachePolicy.revalidate,
  }) async* {
    String? cursor;
    do {
      final page = await list(filter: filter, sort: sort, limit: limit, cursor: cursor, cache: cache);
      yield page;
      cursor = page.nextCursor;
    } while (cursor != null);
  }

  /// Every matching record, fetched page by page ([limit] per request).
  Future<List<T>> all({
    F? filter,
    List<SortKey<T>>? sort,
    int? limit,
    CachePolicy cache = CachePolicy.revalidate,
  }) async {
    final out = <T>[];
    await for (final page in pages(filter: filter, sort: sort, limit: limit, cache: cache)) {
      out.addAll(page.items);
    }
    return out;
  }

  /// One record. Throws [ApiException] with status 404 when there is none.
  Future<T> get(I id, {CachePolicy cache = CachePolicy.cacheFirst}) async {
    final f = await _core.fetch(_itemPath(id), cache, cacheTtl);
    return _item(f.body, status: f.status);
  }

  /// One record, or null when there is none.
  Future<T?> tryGet(I id, {CachePolicy cache = CachePolicy.cacheFirst}) async {
    try {
      return await get(id, cache: cache);
    } on ApiException catch (e) {
      if (e.isNotFound) return null;
      rethrow;
    }
  }

  /// One record with its `ETag`, for a conditional write (`ifMatch:`).
  Future<Versioned<T>> getVersioned(I id, {CachePolicy cache = CachePolicy.cacheFirst}) async {
    final f = await _core.fetch(_itemPath(id), cache, cacheTtl);
    return Versioned<T>(_item(f.body, status: f.status), f.etag);
  }

  /// `POST`: creates one record and returns it as stored. Retried with
  /// the same `Idempotency-Key` ([idempotencyKey], or a new one), so it is
  /// applied once; pass your own key to repeat a write safely across app
  /// restarts (an offline queue).
  Future<T> create(C input, {String? idempotencyKey}) async {
    final res = await _core.send('POST', route, json: input.toJson(), idempotencyKey: idempotencyKey);
    final item = _item(res.body, status: res.status);
    final id = _idOf(item);
    await _core.store(_itemPath(id), res);
    await _core.markStale(resource);
    _core.emit(ResourceChange(resource, ChangeKind.created, id: id, value: item));
    return item;
  }

  /// `POST` with an array: creates all records in one transaction (all or
  /// nothing; problems point at `/index/field`).
  Future<List<T>> createMany(Iterable<C> inputs, {String? idempotencyKey}) async {
    final body = inputs.map((i) => i.toJson()).toList();
    final res = await _core.send('POST', route, json: body, idempotencyKey: idempotencyKey);
    final items = _items(res.body, status: res.status);
    await _core.markStale(resource);
    for (final item in items) {
      _core.emit(ResourceChange(resource, ChangeKind.created, id: _idOf(item), value: item));
    }
    return items;
  }

  /// `PUT`: replaces every writable field (optional ones left null are
  /// cleared). With [ifMatch], fails with 412 if the record changed.
  Future<T> replace(I id, C input, {String? ifMatch}) async {
    final body = input.toJson()..remove(idField);
    return _write('PUT', id, body, 'application/json', ifMatch, null);
  }

  /// `PATCH` (JSON merge patch): changes only the fields set in [patch].
  ///
  /// With [optimistic], watchers of this record and of lists holding it see
  /// that value at once; if the write fails they refetch the server's
  /// state. With [ifMatch], fails with 412 if the record changed.
  Future<T> update(I id, P patch, {String? ifMatch, T? optimistic, String? idempotencyKey}) {
    return _write('PATCH', id, patch.toJson(), 'application/merge-patch+json', ifMatch, optimistic,
        idempotencyKey: idempotencyKey);
  }

  Future<T> _write(String method, I id, Map<String, dynamic> body, String contentType,
      String? ifMatch, T? optimistic, {String? idempotencyKey}) async {
    if (optimistic != null) {
      _core.emit(ResourceChange(resource, ChangeKind.updated, id: id, value: optimistic, optimistic: true));
    }
    try {
      final res = await _core.send(method, _itemPath(id),
          json: body,
          contentType: contentType,
          idempotencyKey: idempotencyKey,
          headers: ifMatch == null ? const <String, String>{} : <String, String>{'if-match': ifMatch});
      final item = _item(res.body, status: res.status);
      await _core.store(_itemPath(id), res);
      await _core.markStale(resource);
      _core.emit(ResourceChange(resource, ChangeKind.updated, id: id, value: item));
      return item;
    } catch (_) {
      if (optimistic != null) {
        _core.emit(ResourceChange(resource, ChangeKind.invalidated, id: id));
      }
      rethrow;
    }
  }

  /// Refetches everything this resource's [watch] and [watchList] streams
  /// show, asking the server even when cached data is fresh; completes when
  /// they have their answers. For pull-to-refresh:
  /// `RefreshIndicator(onRefresh: client.tasks.refresh, …)`.
  Future<void> refresh() async {
    await _core.markStale(resource, items: true);
    await Future.wait(_lives.toList().map((l) => l.refresh()));
  }

  /// `DELETE`. With [ifMatch], fails with 412 if the record changed.
  Future<void> delete(I id, {String? ifMatch}) async {
    await _core.send('DELETE', _itemPath(id),
        headers: ifMatch == null ? const <String, String>{} : <String, String>{'if-match': ifMatch});
    await _core.forget(_itemPath(id));
    await _core.markStale(resource);
    await _core.cascadeDelete(resource);
    _core.emit(ResourceChange(resource, ChangeKind.deleted, id: id));
  }

  /// The record, live: the cached value first (if any), then the server's
  /// (when different), then again after every change made through this
  /// client. A delete shows as an [ApiException] (404) error event; errors
  /// do not end the stream. Single-subscription: keep the stream (for
  /// example in `initState`), do not call this in `build`.
  Stream<T> watch(I id) {
    final path = _itemPath(id);
    late final _Live<T> live;
    live = _Live<T>(
      changes: changes,
      registry: _lives,
      initial: () async {
        final e = await _core.cached(path);
        return e == null ? null : _item(e.body);
      },
      load: () => get(id, cache: CachePolicy.revalidate),
      onChange: (c) {
        if (c.id != null && c.id != id) return;
        final value = c.value;
        if ((c.kind == ChangeKind.updated || c.kind == ChangeKind.created) && value is T) {
          live.emit(value);
          return;
        }
        live.refresh();
      },
    );
    return live.stream;
  }

  /// A list page, live: the cached page first (if any), then the server's
  /// (when different), then again after every change to this resource made
  /// through this client (updated records are swapped in at once, then the
  /// page is refetched). [refresh] refetches on demand (pull-to-refresh).
  /// Single-subscription, like [watch].
  Stream<ApiPage<T>> watchList({
    F? filter,
    List<SortKey<T>>? sort,
    int? limit,
    String? cursor,
    int? offset,
  }) {
    final path = listPath(filter: filter, sort: sort, limit: limit, cursor: cursor, offset: offset);
    late final _Live<ApiPage<T>> live;
    live = _Live<ApiPage<T>>(
      changes: changes,
      registry: _lives,
      initial: () async {
        final e = await _core.cached(path);
        return e == null ? null : _page(e.body);
      },
      load: () async => _page((await _core.fetch(path, CachePolicy.revalidate, cacheTtl)).body),
      onChange: (c) {
        final last = live.last;
        if (last != null && c.id != null) {
          final i = last.items.indexWhere((t) => _idOf(t) == c.id);
          final value = c.value;
          if (i >= 0 && c.kind == ChangeKind.updated && value is T) {
            live.emit(last.withItems(List<T>.unmodifiable(List<T>.of(last.items)..[i] = value)));
          } else if (i >= 0 && c.kind == ChangeKind.deleted) {
            live.emit(last.withItems(List<T>.unmodifiable(List<T>.of(last.items)..removeAt(i))));
          }
        }
        if (c.optimistic) return;
        live.refresh();
      },
    );
    return live.stream;
  }
}

/// A single-subscription stream of a value kept up to date.
class _Live<V> {
  _Live({
    required Stream<ResourceChange> changes,
    required Future<V?> Function() initial,
    required Future<V> Function() load,
    required void Function(ResourceChange) onChange,
    required Set<_Live<Object?>> registry,
  })  : _changes = changes,
        _initial = initial,
        _load = load,
        _onChange = onChange,
        _registry = registry {
    _controller = StreamController<V>(onListen: _start, onCancel: _stop);
  }

  final Stream<ResourceChange> _changes;
  final Future<V?> Function() _initial;
  final Future<V> Function() _load;
  final void Function(ResourceChange) _onChange;
  final Set<_Live<Object?>> _registry;
  late final StreamController<V> _controller;

  StreamSubscription<ResourceChange>? _sub;
  V? _last;
  bool _closed = false;
  bool _again = false;
  Future<void>? _running;
  int _generation = 0;

  Stream<V> get stream => _controller.stream;

  /// The value last emitted.
  V? get last => _last;

  /// Emits a value that a change brought (newer than any load in flight,
  /// whose result is then dropped).
  void emit(V value) {
    _generation++;
    _add(value);
  }

  void _add(V value) {
    if (_closed) return;
    if (_last != null && _last == value) return;
    _last = value;
    _controller.add(value);
  }

  /// Loads the value again; completes when the load (and any load asked
  /// for meanwhile) is done.
  Future<void> refresh() {
    if (_closed) return Future<void>.value();
    final running = _running;
    if (running != null) {
      _again = true;
      return running;
    }
    final done = _loop();
    _running = done;
    return done;
  }

  Future<void> _loop() async {
    try {
      do {
        _again = false;
        final generation = _generation;
        try {
          final value = await _load();
          if (generation == _generation) _add(value);
        } catch (e, s) {
          if (!_closed && generation == _generation) _controller.addError(e, s);
        }
      } while (_again && !_closed);
    } finally {
      _running = null;
    }
  }

  Future<void> _start() async {
    _sub = _changes.listen(_onChange);
    _registry.add(this);
    try {
      final cached = await _initial();
      if (cached != null) _add(cached);
    } catch (_) {
      // An unreadable cache entry is replaced by the fresh value.
    }
    await refresh();
  }

  Future<void> _stop() async {
    _closed = true;
    _registry.remove(this);
    await _sub?.cancel();
  }
}

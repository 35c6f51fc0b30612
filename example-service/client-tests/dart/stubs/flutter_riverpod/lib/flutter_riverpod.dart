// Stand-in for package:flutter_riverpod (signatures only).

Never _stub() => throw UnimplementedError('stand-in');

abstract class ProviderListenable<T> {}

abstract class Ref {
  T watch<T>(ProviderListenable<T> provider);
  void onDispose(void Function() cb);
}

abstract class ProviderRef<T> implements Ref {}

abstract class AutoDisposeStreamProviderRef<T> implements Ref {}

class AsyncValue<T> {}

class Provider<T> implements ProviderListenable<T> {
  Provider(T Function(ProviderRef<T> ref) create);
}

class AutoDisposeStreamProviderFamily<T, A> {
  ProviderListenable<AsyncValue<T>> call(A argument) => _stub();
}

class AutoDisposeStreamProviderBuilder {
  const AutoDisposeStreamProviderBuilder();
  AutoDisposeStreamProviderFamily<T, A> family<T, A>(
          Stream<T> Function(AutoDisposeStreamProviderRef<T> ref, A arg) create) =>
      _stub();
}

class StreamProvider<T> implements ProviderListenable<AsyncValue<T>> {
  StreamProvider(Stream<T> Function(ProviderRef<T> ref) create);
  static const AutoDisposeStreamProviderBuilder autoDispose = AutoDisposeStreamProviderBuilder();
}

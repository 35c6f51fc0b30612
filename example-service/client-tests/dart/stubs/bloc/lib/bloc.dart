// Stand-in for package:bloc (signatures only).

abstract class BlocBase<State> {
  BlocBase(this._state);
  State _state;
  State get state => _state;
  void emit(State state) => _state = state;
  void addError(Object error, [StackTrace? stackTrace]) {}
  Future<void> close() async {}
}

abstract class Cubit<State> extends BlocBase<State> {
  Cubit(State initialState) : super(initialState);
}

// Stand-in for package:flutter/material.dart (signatures only).

import 'dart:async';

typedef VoidCallback = void Function();
typedef ValueChanged<T> = void Function(T value);
typedef RefreshCallback = Future<void> Function();
typedef IndexedWidgetBuilder = Widget Function(BuildContext context, int index);
typedef AsyncWidgetBuilder<T> = Widget Function(BuildContext context, AsyncSnapshot<T> snapshot);

Never _stub() => throw UnimplementedError('stand-in');

class Key {
  const Key(String value);
}

abstract class BuildContext {}

abstract class Widget {
  const Widget({this.key});
  final Key? key;
}

abstract class StatelessWidget extends Widget {
  const StatelessWidget({Key? key}) : super(key: key);
  Widget build(BuildContext context);
}

abstract class StatefulWidget extends Widget {
  const StatefulWidget({Key? key}) : super(key: key);
  State createState();
}

abstract class State<T extends StatefulWidget> {
  T get widget => _stub();
  BuildContext get context => _stub();
  bool get mounted => _stub();
  void initState() {}
  void dispose() {}
  void setState(VoidCallback fn) {}
  Widget build(BuildContext context);
}

class AsyncSnapshot<T> {
  T? get data => _stub();
  bool get hasData => _stub();
  bool get hasError => _stub();
  Object? get error => _stub();
  T get requireData => _stub();
}

class StreamBuilder<T> extends StatefulWidget {
  const StreamBuilder({Key? key, this.initialData, this.stream, required this.builder}) : super(key: key);
  final T? initialData;
  final Stream<T>? stream;
  final AsyncWidgetBuilder<T> builder;
  @override
  State<StreamBuilder<T>> createState() => _stub();
}

class FutureBuilder<T> extends StatefulWidget {
  const FutureBuilder({Key? key, this.initialData, this.future, required this.builder}) : super(key: key);
  final T? initialData;
  final Future<T>? future;
  final AsyncWidgetBuilder<T> builder;
  @override
  State<FutureBuilder<T>> createState() => _stub();
}

class Center extends StatelessWidget {
  const Center({Key? key, this.child}) : super(key: key);
  final Widget? child;
  @override
  Widget build(BuildContext context) => _stub();
}

class Text extends StatelessWidget {
  const Text(this.data, {Key? key}) : super(key: key);
  final String data;
  @override
  Widget build(BuildContext context) => _stub();
}

class CircularProgressIndicator extends StatelessWidget {
  const CircularProgressIndicator({Key? key}) : super(key: key);
  @override
  Widget build(BuildContext context) => _stub();
}

class RefreshIndicator extends StatefulWidget {
  const RefreshIndicator({Key? key, required this.child, required this.onRefresh}) : super(key: key);
  final Widget child;
  final RefreshCallback onRefresh;
  @override
  State<RefreshIndicator> createState() => _stub();
}

class ScrollPhysics {
  const ScrollPhysics({this.parent});
  final ScrollPhysics? parent;
}

class AlwaysScrollableScrollPhysics extends ScrollPhysics {
  const AlwaysScrollableScrollPhysics({ScrollPhysics? parent}) : super(parent: parent);
}

class ListView extends StatelessWidget {
  ListView.builder({Key? key, this.physics, required IndexedWidgetBuilder itemBuilder, int? itemCount}) : super(key: key);
  final ScrollPhysics? physics;
  @override
  Widget build(BuildContext context) => _stub();
}

class ListTile extends StatelessWidget {
  const ListTile({Key? key, this.title, this.subtitle, this.trailing, this.onTap}) : super(key: key);
  final Widget? title;
  final Widget? subtitle;
  final Widget? trailing;
  final VoidCallback? onTap;
  @override
  Widget build(BuildContext context) => _stub();
}

class CheckboxListTile extends StatelessWidget {
  const CheckboxListTile({Key? key, required this.value, required this.onChanged, this.title}) : super(key: key);
  final bool? value;
  final ValueChanged<bool?>? onChanged;
  final Widget? title;
  @override
  Widget build(BuildContext context) => _stub();
}

class SnackBar extends StatefulWidget {
  const SnackBar({Key? key, required this.content}) : super(key: key);
  final Widget content;
  @override
  State<SnackBar> createState() => _stub();
}

class ScaffoldMessengerState {
  void showSnackBar(SnackBar snackBar) {}
}

class ScaffoldMessenger {
  static ScaffoldMessengerState of(BuildContext context) => _stub();
}

// Flutter exports these too; the client must not clash with them in the
// README's widget.
abstract class Page<T> {
  const Page();
}

class Visibility extends StatelessWidget {
  const Visibility({Key? key, required this.child, this.visible = true}) : super(key: key);
  final Widget child;
  final bool visible;
  @override
  Widget build(BuildContext context) => _stub();
}

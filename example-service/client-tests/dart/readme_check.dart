// Compiles every Dart snippet of the generated package's README against
// the package and the stand-ins in stubs/ (Flutter, http, dio, Riverpod,
// Bloc, shared_preferences). Snippets that declare things become libraries
// of their own; statement snippets (`await client…`) run together in one
// function, in README order. Prints `README snippets compile` on success.
//
//   dart readme_check.dart                       (from this folder: clients/dart)
//   dart readme_check.dart PACKAGE FOLDER        (e.g. resourceful_example_client_v1 dart-v1)

import 'dart:convert';
import 'dart:io';

Future<void> main(List<String> args) async {
  if (args.isNotEmpty && args.length != 2) {
    stderr.writeln('usage: dart readme_check.dart [PACKAGE FOLDER]   (FOLDER under clients/)');
    exit(2);
  }
  // The package and its folder under example-service/clients/.
  final package = args.isEmpty ? 'resourceful_example_client' : args[0];
  final folder = args.isEmpty ? 'dart' : args[1];
  final here = Directory.current.path;
  final readme = File('$here/../../clients/$folder/README.md').readAsStringSync();
  final blocks = RegExp(r'```dart\n(.*?)```', dotAll: true).allMatches(readme).map((m) => m.group(1)!).toList();
  if (blocks.isEmpty) {
    stderr.writeln('no Dart snippets in the README');
    exit(1);
  }

  // One folder per run, so that runs can overlap.
  final out = Directory('$here/.dart_tool/readme-$pid');
  if (out.existsSync()) out.deleteSync(recursive: true);
  out.createSync(recursive: true);

  final statementImports = <String>{"import 'package:$package/$package.dart';"};
  final statements = StringBuffer();
  final libraries = <String>[];
  final statementLine = RegExp(r'^(await |for |if |try |print\(|(final|var) \w+ = await )', multiLine: true);
  for (var i = 0; i < blocks.length; i++) {
    final lines = const LineSplitter().convert(blocks[i]);
    final imports = lines.where((l) => l.startsWith('import ')).toList();
    final body = lines.where((l) => !l.startsWith('import ')).join('\n');
    if (statementLine.hasMatch(body)) {
      statementImports.addAll(imports);
      statements
        ..writeln('  // README snippet ${i + 1}')
        ..writeln(body.split('\n').map((l) => l.isEmpty ? l : '  $l').join('\n'));
    } else {
      final name = 'snippet_${i + 1}.dart';
      File('${out.path}/$name').writeAsStringSync('${imports.join('\n')}\n\n$body\n');
      libraries.add(name);
    }
  }
  File('${out.path}/statements.dart').writeAsStringSync(
      '${statementImports.join('\n')}\n\n// ignore_for_file: unused_local_variable\nFuture<void> readmeStatements() async {\n$statements}\n');

  final main = StringBuffer();
  for (var i = 0; i < libraries.length; i++) {
    main.writeln("import '${libraries[i]}' as s$i;");
  }
  main
    ..writeln("import 'statements.dart' as statements;")
    ..writeln()
    ..writeln("void main() => print('README snippets compile (${blocks.length})');");
  File('${out.path}/main.dart').writeAsStringSync(main.toString());

  // .dart_tool/readme-<pid> → the stubs and the generated package.
  final packages = <Map<String, String>>[
    {'name': package, 'rootUri': '../../../../clients/$folder'},
    for (final stub in ['flutter', 'http', 'dio', 'flutter_riverpod', 'bloc', 'shared_preferences'])
      {'name': stub, 'rootUri': '../../stubs/$stub'},
  ];
  File('${out.path}/package_config.json').writeAsStringSync(jsonEncode({
    'configVersion': 2,
    'packages': [
      for (final p in packages) {...p, 'packageUri': 'lib/', 'languageVersion': '2.16'},
    ],
  }));

  final result = await Process.run(
    Platform.resolvedExecutable,
    ['--packages=${out.path}/package_config.json', '${out.path}/main.dart'],
  );
  stdout.write(result.stdout);
  stderr.write(result.stderr);
  if (result.exitCode == 0) {
    out.deleteSync(recursive: true);
  } else {
    stderr.writeln('snippets kept in ${out.path}');
  }
  exit(result.exitCode);
}
